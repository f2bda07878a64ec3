using System.Runtime.InteropServices;
using System.Text;
using MovieRecs.Recommender.Algorithms;
using MovieRecs.Recommender.Data;

namespace MovieRecs.Recommender.Serialization;

/// <summary>Thrown when a stream is not a model file this reader can load.</summary>
public sealed class ModelFormatException(string message) : IOException(message);

/// <summary>
/// The binary model file (little-endian):
/// <code>
/// magic "MRECMDL\0" | int32 format version | string algorithm
/// int32 n, n × (string name, float64 value)             training parameters
/// int32 users, movies, ratings, mf factors, mf members, ease movies, ials factors   dimensions
/// int32[users] user ids | int32[movies] movie ids    (external ids, ascending; index = internal id)
/// sections: (int32 tag, int64 byte length, payload)… then tag 0
///   1 ratings per user (CSR)   2 rating model   3 EASE   4 iALS   5 popularity
///   optional: 6 rating times and time-local weights   7 blend support weights   8 like-probability sigmoid (slope, offset)
/// </code>
/// A reader skips section tags it does not know; a file whose format version is newer than the reader is rejected
/// with a clear message before anything else is read.
/// </summary>
internal static class ModelFile
{
    static readonly byte[] s_magic = "MRECMDL\0"u8.ToArray();

    const int TagEnd = 0, TagRatings = 1, TagRatingModel = 2, TagEase = 3, TagIals = 4, TagPopularity = 5, TagRatingTimes = 6, TagBlendSupport = 7, TagLikePlatt = 8;

    public static void Write(RecommenderModel m, Stream stream)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("model files are written on little-endian machines only");
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write(s_magic);
        w.Write(RecommenderModel.FormatVersion);
        w.Write(RecommenderModel.Algorithm);
        var parameters = m.Options.ToParameters();
        w.Write(parameters.Count);
        foreach (var (name, value) in parameters)
        {
            w.Write(name);
            w.Write(value);
        }
        var r = m.Rating;
        w.Write(m.UserCount);
        w.Write(m.MovieCount);
        w.Write(m.RatingCount);
        w.Write(r.Factors);
        w.Write(r.Members);
        w.Write(m.EaseItems.Length);
        w.Write(m.IalsFactors);
        WriteArray(w, m.UserMap.Ids);
        WriteArray(w, m.ItemMap.Ids);

        Section(w, TagRatings, x =>
        {
            WriteArray(x, m.UserPtr);
            WriteArray(x, m.UserItems);
            WriteArray(x, m.UserValues);
        });
        Section(w, TagRatingModel, x =>
        {
            x.Write(r.MinRating);
            x.Write(r.MaxRating);
            WriteArray(x, r.Blend);
            WriteArray(x, r.Calibration.X);
            WriteArray(x, r.Calibration.Y);
            WriteArray(x, r.ItemCounts);
            WriteArray(x, r.UserCounts);
            var knn = r.Knn;
            x.Write(knn.Mean);
            x.Write(knn.Neighbors);
            x.Write(knn.UserBiasRegularization);
            WriteArray(x, knn.UserBias);
            WriteArray(x, knn.ItemBias);
            WriteArray(x, knn.ListPtr);
            WriteArray(x, knn.ListItems);
            WriteArray(x, knn.ListSims);
            foreach (var member in r.Mf)
            {
                WriteArray(x, member.UserBias);
                WriteArray(x, member.ItemBias);
                WriteArray(x, member.UserFactors);
                WriteArray(x, member.ItemFactors);
            }
        });
        Section(w, TagEase, x =>
        {
            WriteArray(x, m.EaseItems);
            WriteArray(x, m.EaseB);
        });
        Section(w, TagIals, x =>
        {
            WriteArray(x, m.IalsUsers);
            WriteArray(x, m.IalsItems);
        });
        Section(w, TagPopularity, x => WriteArray(x, m.Popularity));
        // optional (readers before it skip it): when each rating was made and the weights of the time-local user effects
        if (m.UserTimes is { } times)
            Section(w, TagRatingTimes, x =>
            {
                x.Write(m.TimeOrigin);
                WriteArray(x, times);
                WriteArray(x, r.Drift);
            });
        // optional: the weights of the blend's support terms (a model without them predicts as before they existed)
        Section(w, TagBlendSupport, x => WriteArray(x, r.Support));
        // optional: the like-probabilities' sigmoid (readers before it, and models without it, use the isotonic map of section 2)
        if (r.Platt is { } platt)
            Section(w, TagLikePlatt, x =>
            {
                x.Write(platt.Slope);
                x.Write(platt.Offset);
            });
        w.Write(TagEnd);
        w.Flush();
    }

    public static RecommenderModel Read(Stream stream)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("model files are read on little-endian machines only");
        using var rd = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        var magic = new byte[s_magic.Length];
        if (stream.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false) != magic.Length || !magic.AsSpan().SequenceEqual(s_magic))
            throw new ModelFormatException("not a MovieRecs model file (bad magic number)");
        var version = rd.ReadInt32();
        if (version > RecommenderModel.FormatVersion)
            throw new ModelFormatException($"model format version {version} is newer than this reader (max {RecommenderModel.FormatVersion})");
        if (version < 1)
            throw new ModelFormatException($"model format version {version} is not valid");
        try
        {
            return ReadV1(rd);
        }
        catch (EndOfStreamException)
        {
            throw new ModelFormatException("the model file is truncated");
        }
    }

    static RecommenderModel ReadV1(BinaryReader rd)
    {
        _ = rd.ReadString(); // algorithm description
        var count = rd.ReadInt32();
        Check(count is >= 0 and < 10_000, "parameter count");
        var parameters = new List<KeyValuePair<string, double>>(count);
        for (var t = 0; t < count; t++)
            parameters.Add(new(rd.ReadString(), rd.ReadDouble()));
        var options = TrainingOptions.FromParameters(parameters);
        int users = rd.ReadInt32(), movies = rd.ReadInt32(), ratings = rd.ReadInt32();
        int mfFactors = rd.ReadInt32(), members = rd.ReadInt32(), easeItems = rd.ReadInt32(), ialsFactors = rd.ReadInt32();
        Check(users >= 0 && movies >= 0 && ratings >= 0 && mfFactors >= 0 && members >= 0 && easeItems >= 0 && ialsFactors >= 0, "dimensions");
        var userIds = ReadIntArray(rd, users);
        var movieIds = ReadIntArray(rd, movies);
        CheckAscending(userIds, "user ids");
        CheckAscending(movieIds, "movie ids");

        int[]? userPtr = null, userItems = null, easeList = null, userTimes = null;
        float[]? drift = null;
        float[]? support = null;
        PlattCalibration? platt = null;
        long timeOrigin = 0;
        float[]? userValues = null, easeB = null, ialsUsers = null, ialsItems = null, popularity = null;
        RatingModel? rating = null;
        while (true)
        {
            var tag = rd.ReadInt32();
            if (tag == TagEnd)
                break;
            var length = rd.ReadInt64();
            Check(length >= 0, "section length");
            switch (tag)
            {
                case TagRatings:
                    userPtr = ReadIntArray(rd, users + 1);
                    userItems = ReadIntArray(rd, ratings);
                    userValues = ReadFloatArray(rd, ratings);
                    break;
                case TagRatingModel:
                {
                    var min = rd.ReadSingle();
                    var max = rd.ReadSingle();
                    var blend = ReadFloatArray(rd, 3);
                    var cx = ReadFloatArray(rd, -1);
                    var cy = ReadFloatArray(rd, cx.Length);
                    var itemCounts = ReadIntArray(rd, movies);
                    var userCounts = ReadIntArray(rd, users);
                    var mean = rd.ReadSingle();
                    var neighbors = rd.ReadInt32();
                    var userReg = rd.ReadSingle();
                    var ub = ReadFloatArray(rd, users);
                    var ib = ReadFloatArray(rd, movies);
                    var listPtr = ReadIntArray(rd, movies + 1);
                    var listItems = ReadIntArray(rd, -1);
                    var listSims = ReadFloatArray(rd, listItems.Length);
                    var mf = new MfMember[members];
                    for (var m = 0; m < members; m++)
                        mf[m] = new MfMember
                        {
                            Factors = mfFactors,
                            UserBias = ReadFloatArray(rd, users),
                            ItemBias = ReadFloatArray(rd, movies),
                            UserFactors = ReadFloatArray(rd, checked(users * mfFactors)),
                            ItemFactors = ReadFloatArray(rd, checked(movies * mfFactors)),
                        };
                    Check(cx.Length > 0, "calibration");
                    rating = new RatingModel
                    {
                        MinRating = min, MaxRating = max, Mf = mf, Blend = blend,
                        Calibration = new IsotonicCalibration(cx, cy), ItemCounts = itemCounts, UserCounts = userCounts,
                        Knn = new ItemKnnModel
                        {
                            Mean = mean, Neighbors = neighbors, UserBiasRegularization = userReg, UserBias = ub, ItemBias = ib,
                            ListPtr = listPtr, ListItems = listItems, ListSims = listSims,
                        },
                    };
                    break;
                }
                case TagEase:
                    easeList = ReadIntArray(rd, easeItems);
                    easeB = ReadFloatArray(rd, checked(easeItems * easeItems));
                    break;
                case TagIals:
                    ialsUsers = ReadFloatArray(rd, checked(users * ialsFactors));
                    ialsItems = ReadFloatArray(rd, checked(movies * ialsFactors));
                    break;
                case TagPopularity:
                    popularity = ReadFloatArray(rd, movies);
                    break;
                case TagRatingTimes:
                    timeOrigin = rd.ReadInt64();
                    userTimes = ReadIntArray(rd, ratings);
                    drift = ReadFloatArray(rd, UserDrift.Terms);
                    break;
                case TagBlendSupport:
                    support = ReadFloatArray(rd, RatingModel.SupportTerms);
                    break;
                case TagLikePlatt:
                {
                    var slope = rd.ReadDouble();
                    var offset = rd.ReadDouble();
                    Check(double.IsFinite(slope) && double.IsFinite(offset), "like-probability sigmoid");
                    platt = new PlattCalibration(slope, offset);
                    break;
                }
                default:
                    Skip(rd.BaseStream, length);
                    break;
            }
        }
        if (userPtr is null || rating is null || easeList is null || ialsUsers is null || popularity is null)
            throw new ModelFormatException("the model file lacks a required section");
        if (drift is not null)
            rating.Drift = drift;
        if (support is not null)
            rating.Support = support;
        rating.Platt = platt;
        Check(userPtr[0] == 0 && userPtr[^1] == ratings, "rating offsets");
        CheckOffsets(userPtr, "rating offsets");
        var lists = rating.Knn.ListPtr;
        Check(lists[0] == 0 && lists[^1] == rating.Knn.ListItems.Length, "neighbour offsets");
        CheckOffsets(lists, "neighbour offsets");
        foreach (var i in userItems!)
            Check((uint)i < (uint)movies, "rated movie index");
        foreach (var i in easeList)
            Check((uint)i < (uint)movies, "EASE movie index");
        foreach (var i in rating.Knn.ListItems)
            Check((uint)i < (uint)movies, "neighbour index");
        var model = new RecommenderModel
        {
            Options = options,
            UserMap = new IdMap(userIds),
            ItemMap = new IdMap(movieIds),
            UserPtr = userPtr,
            UserItems = userItems!,
            UserValues = userValues!,
            UserTimes = userTimes,
            TimeOrigin = timeOrigin,
            Rating = rating,
            EaseItems = easeList,
            EaseB = easeB!,
            IalsFactors = ialsFactors,
            IalsUsers = ialsUsers,
            IalsItems = ialsItems!,
            Popularity = popularity,
        };
        model.Prepare();
        return model;
    }

    static void Section(BinaryWriter w, int tag, Action<BinaryWriter> body)
    {
        var counter = new CountingStream();
        using (var cw = new BinaryWriter(counter, Encoding.UTF8, leaveOpen: true))
        {
            body(cw);
            cw.Flush();
        }
        w.Write(tag);
        w.Write(counter.Length);
        body(w);
    }

    static void WriteArray<T>(BinaryWriter w, T[] array) where T : unmanaged
    {
        w.Write(array.Length);
        var bytes = MemoryMarshal.AsBytes(array.AsSpan());
        w.Flush();
        const int chunk = 1 << 24;
        for (var at = 0; at < bytes.Length; at += chunk)
            w.BaseStream.Write(bytes.Slice(at, Math.Min(chunk, bytes.Length - at)));
    }

    static int[] ReadIntArray(BinaryReader rd, int expected) => ReadArray<int>(rd, expected);
    static float[] ReadFloatArray(BinaryReader rd, int expected) => ReadArray<float>(rd, expected);

    static T[] ReadArray<T>(BinaryReader rd, int expected) where T : unmanaged
    {
        var length = rd.ReadInt32();
        if (length < 0 || (expected >= 0 && length != expected))
            throw new ModelFormatException($"an array has {length} entries where {expected} were expected");
        var remaining = rd.BaseStream.CanSeek ? rd.BaseStream.Length - rd.BaseStream.Position : long.MaxValue;
        if ((long)length * Marshal.SizeOf<T>() > remaining)
            throw new ModelFormatException("the model file is truncated");
        var array = new T[length];
        rd.BaseStream.ReadExactly(MemoryMarshal.AsBytes(array.AsSpan()));
        return array;
    }

    static void Skip(Stream s, long length)
    {
        if (s.CanSeek)
        {
            s.Seek(length, SeekOrigin.Current);
            return;
        }
        var buffer = new byte[81920];
        while (length > 0)
        {
            var n = s.Read(buffer, 0, (int)Math.Min(buffer.Length, length));
            if (n == 0)
                throw new EndOfStreamException();
            length -= n;
        }
    }

    static void Check(bool ok, string what)
    {
        if (!ok)
            throw new ModelFormatException($"the model file is corrupt ({what})");
    }

    static void CheckOffsets(int[] ptr, string what)
    {
        for (var i = 1; i < ptr.Length; i++)
            Check(ptr[i] >= ptr[i - 1], what);
    }

    static void CheckAscending(int[] ids, string what)
    {
        for (var i = 1; i < ids.Length; i++)
            Check(ids[i] > ids[i - 1], what + " not ascending");
    }

    sealed class CountingStream : Stream
    {
        long _length;
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _length;
        public override long Position { get => _length; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => _length += count;
        public override void Write(ReadOnlySpan<byte> buffer) => _length += buffer.Length;
        public override void WriteByte(byte value) => _length++;
    }
}
