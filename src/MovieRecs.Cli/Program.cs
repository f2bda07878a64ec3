using System.CommandLine;
using MovieRecs.Cli.Commands;

// movierecs: import MovieLens into storage, generate synthetic data, train and evaluate offline.
var root = new RootCommand("MovieRecs command-line tool");
root.Subcommands.Add(ImportCommand.Create());
foreach (var command in ModelCommands.All()) root.Subcommands.Add(command);
root.Subcommands.Add(TrainFromStorageCommand.Create());

return await root.Parse(args).InvokeAsync();
