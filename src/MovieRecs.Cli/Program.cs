using System.CommandLine;
using MovieRecs.Cli.Commands;

// movierecs: import MovieLens into storage, train from storage, generate synthetic data, train and evaluate offline.
var root = new RootCommand("MovieRecs command-line tool");
root.Subcommands.Add(ImportCommand.Create());
foreach (var command in ModelCommands.All()) root.Subcommands.Add(command);

return await root.Parse(args).InvokeAsync();
