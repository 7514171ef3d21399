using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using RnnLm.Engine.IO;
using RnnLm.Engine.Model;

namespace RnnLm.Engine.Tests;

public sealed partial class ModelFileTests
{
    // ---- helpers ----

    internal static Exception? Record(Action action)
    {
        try
        {
            action();
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    // Loads the bytes from a file; the load must fail with exactly ModelFormatException whose message names the file and the phrase.
    private ModelFormatException AssertLoadFails(byte[] bytes, string phrase, string what)
    {
        var error = AssertLoadFails(bytes, what);
        Assert.True(error.Message.Contains(phrase, StringComparison.Ordinal), $"{what}: expected \"{phrase}\" in \"{error.Message}\"");
        return error;
    }

    private ModelFormatException AssertLoadFails(byte[] bytes, string what)
    {
        var path = Path.Combine(_temp, $"damaged-{Guid.NewGuid():N}.rnnlm");
        File.WriteAllBytes(path, bytes);
        var error = Record(() => ModelFile.Load(path));
        if (error is not ModelFormatException formatError)
        {
            Assert.Fail($"{what}: expected ModelFormatException, got {(error is null ? "no exception" : $"{error.GetType().Name}: {error.Message}")}");
            throw new InvalidOperationException("unreachable");
        }

        Assert.Contains(path, formatError.Message, StringComparison.Ordinal);
        return formatError;
    }

    // The same bytes through the internal deserializer: no file system, for checks over hundreds of variants.
    private static ModelFormatException AssertDeserializeFails(byte[] bytes, string what)
    {
        var error = Record(() => ModelFile.Deserialize(bytes));
        if (error is not ModelFormatException formatError)
        {
            Assert.Fail($"{what}: expected ModelFormatException, got {(error is null ? "no exception" : $"{error.GetType().Name}: {error.Message}")}");
            throw new InvalidOperationException("unreachable");
        }

        return formatError;
    }

    // What Save writes, without the file system (Save flushes to disk, which is slow on some CI disks).
    internal static byte[] Serialize(LanguageModel model, WeightEncoding encoding) =>
        ModelFile.Serialize(model.Vocabulary, model.Classes, model.Parameters, model.Metadata, encoding, model.Tree);

    private byte[] Save(LanguageModel model, WeightEncoding encoding)
    {
        var path = Path.Combine(_temp, $"model-{Guid.NewGuid():N}.rnnlm");
        ModelFile.Save(model, path, encoding);
        return File.ReadAllBytes(path);
    }

    private LanguageModel RoundTrip(LanguageModel model, WeightEncoding encoding)
    {
        var path = Path.Combine(_temp, $"model-{Guid.NewGuid():N}.rnnlm");
        ModelFile.Save(model, path, encoding);
        return ModelFile.Load(path);
    }

    private static uint ReadUInt32(byte[] bytes, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset));

    // Writes a header field and recomputes the checksum, so that only the field's own check can fire.
    private static byte[] PatchUInt32(byte[] bytes, int offset, uint value)
    {
        var patched = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(patched.AsSpan(offset), value);
        SHA256.HashData(patched.AsSpan(0, patched.Length - ChecksumLength), patched.AsSpan(patched.Length - ChecksumLength));
        return patched;
    }

    // |V| = 12 with non-ASCII words, d = 3, Dh = 5, and three frequency classes for the class output.
    internal static LanguageModel SmallModel(OutputKind output, int seed)
    {
        string[] words = [Vocabulary.EndOfSentenceToken, "the", "naïve", "日本語", Vocabulary.UnknownToken, "of", "emoji😀", "a", "rare", "Zürich", "x", "y"];
        long[] counts = [50, 40, 30, 20, 15, 12, 10, 8, 5, 3, 2, 1];
        var vocabulary = new Vocabulary(words, counts);
        var classes = output == OutputKind.Classes ? new ClassMap([0, 2, 5], words.Length) : null;
        var parameters = new Parameters<float>(new ModelShape(words.Length, 3, 5, output, classes?.ClassCount ?? 0));
        Randomize(parameters, seed);
        return new LanguageModel(vocabulary, classes, parameters, Metadata);
    }

    /// <summary>Weights uniform in ±0.8 and biases uniform in ±0.5, so that a tiny model's distributions are far from uniform.</summary>
    internal static void Randomize(Parameters<float> parameters, int seed)
    {
        parameters.Initialize(seed, scale: 0.8);
        var random = new Random(seed);
        foreach (var (name, values) in parameters.Tensors())
        {
            if (name.StartsWith('b'))
            {
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = (float)(random.NextDouble() - 0.5);
                }
            }
        }
    }

    private static string[][] Sentences(LanguageModel model) =>
    [
        ["the", "naïve", "日本語", "of", "Zürich"],
        ["emoji😀", "unknown-word", "x", "y", "y", "a"],
        [],
        [.. model.Vocabulary.Words.Where(w => w != Vocabulary.EndOfSentenceToken)],
    ];

    /// <summary>The model file written field by field, independently of <see cref="ModelFile"/>, so that any field can be damaged.</summary>
    private sealed class FileImage
    {
        public byte[] Magic { get; set; } = [.. "RNNLM\r\n\x1a"u8];

        public uint Version { get; set; } = 1;

        public uint Output { get; set; }

        public int VocabularySize { get; set; }

        public int Embedding { get; set; }

        public int Hidden { get; set; }

        public int ClassCount { get; set; }

        public uint Encoding { get; set; }

        public byte[] Metadata { get; set; } = [];

        public List<byte[]> Words { get; } = [];

        public List<long> Counts { get; } = [];

        public List<int> Starts { get; } = [];

        public byte[] Weights { get; set; } = [];

        public byte[] Trailing { get; set; } = [];

        public static FileImage Of(LanguageModel model)
        {
            var shape = model.Shape;
            var image = new FileImage
            {
                Output = (uint)shape.Output,
                VocabularySize = shape.VocabularySize,
                Embedding = shape.Embedding,
                Hidden = shape.Hidden,
                ClassCount = shape.ClassCount,
                Metadata = System.Text.Encoding.UTF8.GetBytes(model.Metadata),
            };
            image.Words.AddRange(model.Vocabulary.Words.Select(System.Text.Encoding.UTF8.GetBytes));
            image.Counts.AddRange(model.Vocabulary.Counts);
            image.Starts.AddRange(model.Classes is null ? [] : model.Classes.Starts.ToArray());
            var weights = new List<byte>();
            foreach (var (_, values) in model.Parameters.Tensors())
            {
                foreach (var value in values)
                {
                    weights.AddRange(BitConverter.GetBytes(BitConverter.SingleToInt32Bits(value)));
                }
            }

            image.Weights = [.. weights];
            return image;
        }

        public byte[] ToBytes()
        {
            using var stream = new MemoryStream();
            using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
            {
                writer.Write(Magic);
                writer.Write(Version);
                writer.Write(Output);
                writer.Write(VocabularySize);
                writer.Write(Embedding);
                writer.Write(Hidden);
                writer.Write(ClassCount);
                writer.Write(Encoding);
                writer.Write(Metadata.Length);
                writer.Write(Metadata);
                for (var i = 0; i < Words.Count; i++)
                {
                    writer.Write((ushort)Words[i].Length);
                    writer.Write(Words[i]);
                    writer.Write(Counts[i]);
                }

                foreach (var start in Starts)
                {
                    writer.Write(start);
                }

                writer.Write(Weights);
                writer.Write(Trailing);
            }

            stream.Write(SHA256.HashData(stream.ToArray()));
            return stream.ToArray();
        }
    }
}
