using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Security.Cryptography;
using System.Text;
using RnnLm.Engine.Model;

namespace RnnLm.Engine.IO;

/// <summary>How weights are stored in a model file.</summary>
public enum WeightEncoding
{
    /// <summary>IEEE single precision: bit-exact round trip.</summary>
    Float32 = 0,

    /// <summary>IEEE half precision: half the size; weights are rounded to 11 significant bits on save.</summary>
    Float16 = 1,
}

/// <summary>
/// The versioned binary model file: little-endian throughout.
/// <code>
/// magic "RNNLM\r\n\x1a"  (8 bytes; catches text-mode transfers)
/// u32 format version (1 to 4)
/// u32 output kind, i32 |V|, i32 d, i32 Dh, i32 C, u32 weight encoding
/// version 2 and later: u32 cell kind, i32 direct size, i32 direct order
/// version 3 and later: u32 flags (bit 0: tied embeddings; bit 1: no projection, L's rows are G·Dh wide and I is empty; no other bit is defined)
/// u32 metadata length, UTF-8 JSON metadata (the model card)
/// |V| × (u16 byte length, UTF-8 word, i64 count)
/// C × i32 first id of each class
/// version 4, tree output only: (|V| − 1) × (i32 left child, i32 right child) of each inner node (WordTree.Children)
/// tensors L, I, H, b1, Uᵀ (none when tied), b2, Uc, bc (and, from version 2, D) as float32 or float16; a tree output's
/// Uᵀ and b2 hold its |V| − 1 inner nodes' rows
/// 32-byte SHA-256 of everything before it
/// </code>
/// A model is written in the lowest version that holds it: a sigmoid model without direct connections is a version 1 file,
/// byte for byte what earlier builds wrote and read; a gated cell or direct connections make it version 2, and tied
/// embeddings or no projection version 3, a tree output version 4. The tree is stored as it is, not as the counts it was built from, so that a
/// model keeps the tree its node weights were trained for even if the way of building trees changes.
/// </summary>
public static class ModelFile
{
    /// <summary>The highest format version this build reads and writes.</summary>
    public const uint FormatVersion = 4;
    private const int HeaderLength = 8 + 4 + 24 + 4; // version 1
    private const int Version2Fields = 12;
    private const int Version3Fields = 4;
    private const int MaxHeaderLength = HeaderLength + Version2Fields + Version3Fields;
    private const uint TiedFlag = 1;
    private const uint NoProjectionFlag = 2;
    private const int ChecksumLength = 32;
    private const int MaxMetadataLength = 1 << 20;
    private const long MaxFileLength = int.MaxValue; // 2 GiB − 1: the most one array can hold
    private static ReadOnlySpan<byte> Magic => "RNNLM\r\n\x1a"u8;

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> through a temporary file and a rename, so a crash never leaves half a model.</summary>
    public static void Save(LanguageModel model, string path, WeightEncoding encoding = WeightEncoding.Float32)
    {
        ArgumentNullException.ThrowIfNull(model);
        var bytes = Serialize(model.Vocabulary, model.Classes, model.Parameters, model.Metadata, encoding, model.Tree);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        AtomicFile.WriteAllBytes(path, bytes);
    }

    /// <summary>Reads a model file.</summary>
    /// <exception cref="ModelFormatException">The file is truncated, corrupted, not a model file, of another format version, or describes absurd dimensions.</exception>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    public static LanguageModel Load(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"Model file '{path}' does not exist.", path);
        }

        if (info.Length > MaxFileLength)
        {
            throw new ModelFormatException($"Model file '{path}' is {info.Length:N0} bytes, larger than any model this version reads.");
        }

        try
        {
            return Deserialize(File.ReadAllBytes(path));
        }
        catch (ModelFormatException e)
        {
            throw new ModelFormatException($"Model file '{path}': {e.Message}", e);
        }
    }

    internal static byte[] Serialize(Vocabulary vocabulary, ClassMap? classes, Parameters<float> p, string metadata, WeightEncoding encoding, WordTree? tree = null)
    {
        if ((tree is not null) != (p.Shape.Output == OutputKind.Tree))
        {
            throw new ArgumentException("A tree output needs its word tree, and only it has one.", nameof(tree));
        }

        var shape = p.Shape;
        var width = encoding == WeightEncoding.Float16 ? 2 : 4;
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            var version = VersionFor(shape);
            writer.Write(Magic);
            writer.Write(version);
            writer.Write((uint)shape.Output);
            writer.Write(shape.VocabularySize);
            writer.Write(shape.Embedding);
            writer.Write(shape.Hidden);
            writer.Write(shape.ClassCount);
            writer.Write((uint)encoding);
            if (version >= 2)
            {
                writer.Write((uint)shape.Cell);
                writer.Write(shape.DirectSize);
                writer.Write(shape.DirectOrder);
            }

            if (version >= 3)
            {
                writer.Write((shape.Tied ? TiedFlag : 0u) | (shape.NoProjection ? NoProjectionFlag : 0u));
            }

            var meta = Encoding.UTF8.GetBytes(metadata);
            writer.Write(meta.Length);
            writer.Write(meta);
            for (var i = 0; i < vocabulary.Count; i++)
            {
                var word = Encoding.UTF8.GetBytes(vocabulary[i]);
                writer.Write((ushort)word.Length);
                writer.Write(word);
                writer.Write(vocabulary.Counts[i]);
            }

            foreach (var start in classes is null ? [] : classes.Starts)
            {
                writer.Write(start);
            }

            foreach (var child in tree is null ? [] : tree.Children)
            {
                writer.Write(child);
            }

            foreach (var (_, values) in p.Tensors())
            {
                var buffer = new byte[values.Length * width];
                if (encoding == WeightEncoding.Float16)
                {
                    var halves = new Half[values.Length];
                    TensorPrimitives.ConvertToHalf(values, halves);
                    for (var i = 0; i < halves.Length; i++)
                    {
                        BinaryPrimitives.WriteHalfLittleEndian(buffer.AsSpan(i * 2), halves[i]);
                    }
                }
                else
                {
                    for (var i = 0; i < values.Length; i++)
                    {
                        BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(i * 4), values[i]);
                    }
                }

                writer.Write(buffer);
            }
        }

        stream.Write(SHA256.HashData(stream.GetBuffer().AsSpan(0, (int)stream.Length)));
        return stream.ToArray();
    }

    /// <summary>The lowest format version that holds a model of this shape.</summary>
    public static uint VersionFor(ModelShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return shape.Output == OutputKind.Tree ? 4u : shape.Tied || shape.NoProjection ? 3u : shape.Cell == CellKind.Sigmoid && shape.DirectSize == 0 ? 1u : 2u;
    }

    /// <summary>
    /// Checks a model file without reading its weights: the header is sound and the file is exactly as long as the header and
    /// the vocabulary say. It reads the header, metadata and vocabulary only, so it catches a truncated or extended file
    /// cheaply, but not bytes changed in place (only <see cref="Load"/>'s checksum does).
    /// </summary>
    /// <returns>The dimensions the header states.</returns>
    /// <exception cref="ModelFormatException">The file is truncated, too long, not a model file, of another format version, or describes absurd
    /// dimensions; unlike <see cref="Load"/>, the message does not name the file.</exception>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    public static ModelShape Check(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16);
        return Check(stream);
    }

    internal static ModelShape Check(Stream stream)
    {
        var length = stream.Length;
        if (length > MaxFileLength)
        {
            throw new ModelFormatException($"the file is {length:N0} bytes, larger than any model this version reads.");
        }

        var head = new byte[Math.Min(length, MaxHeaderLength)];
        stream.ReadExactly(head);
        var header = ReadHeader(head, length);

        // An intact file is its preamble, the weights and the checksum: read what must be the preamble and see that it is exactly that.
        var preambleLength = length - header.WeightBytes - ChecksumLength;
        var longest = header.Length + header.MetadataLength + (header.Shape.VocabularySize * (2L + ushort.MaxValue + 8)) + (header.Shape.ClassCount * 4L) + header.TreeBytes;
        if (preambleLength > longest)
        {
            throw new ModelFormatException($"{preambleLength - longest:N0} unexpected bytes follow the weights.");
        }

        if (preambleLength < head.Length)
        {
            throw new ModelFormatException($"the file is truncated: {length:N0} bytes cannot hold these dimensions.");
        }

        var preamble = new byte[preambleLength];
        head.CopyTo(preamble, 0);
        stream.ReadExactly(preamble.AsSpan(head.Length));
        var reader = new SpanReader(preamble);
        reader.Skip(header.Length);
        ReadPreamble(ref reader, header);
        if (reader.Remaining != 0)
        {
            throw new ModelFormatException($"{reader.Remaining:N0} unexpected bytes follow the weights.");
        }

        return header.Shape;
    }

    internal static LanguageModel Deserialize(ReadOnlySpan<byte> bytes)
    {
        var header = ReadHeader(bytes, bytes.Length);
        var reader = new SpanReader(bytes[..^ChecksumLength]);
        reader.Skip(header.Length);
        var (metadata, words, counts, starts, children) = ReadPreamble(ref reader, header);
        if (reader.Remaining != header.WeightBytes)
        {
            throw new ModelFormatException(reader.Remaining < header.WeightBytes
                ? $"the file is truncated: the weights need {header.WeightBytes:N0} bytes but {reader.Remaining:N0} remain."
                : $"{reader.Remaining - header.WeightBytes:N0} unexpected bytes follow the weights.");
        }

        var expected = bytes[^ChecksumLength..];
        Span<byte> actual = stackalloc byte[ChecksumLength];
        SHA256.HashData(bytes[..^ChecksumLength], actual);
        if (!actual.SequenceEqual(expected))
        {
            throw new ModelFormatException("checksum mismatch: the file is corrupted.");
        }

        var shape = header.Shape;
        Vocabulary vocabulary;
        ClassMap? classes;
        WordTree? tree;
        try
        {
            vocabulary = new Vocabulary(words, counts);
            classes = shape.Output == OutputKind.Classes ? new ClassMap(starts, shape.VocabularySize) : null;
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException($"invalid vocabulary or classes: {e.Message}", e);
        }

        try
        {
            tree = shape.Output == OutputKind.Tree ? new WordTree(children, shape.VocabularySize) : null;
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException($"invalid word tree: {e.Message}", e);
        }

        var width = header.Width;
        var parameters = new Parameters<float>(shape);
        foreach (var (_, values) in parameters.Tensors())
        {
            var raw = reader.Bytes(values.Length * width);
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = width == 2
                    ? (float)BinaryPrimitives.ReadHalfLittleEndian(raw[(i * 2)..])
                    : BinaryPrimitives.ReadSingleLittleEndian(raw[(i * 4)..]);
            }
        }

        return new LanguageModel(vocabulary, classes, parameters, metadata, tree);
    }

    /// <summary>Reads and checks the fixed-size header from the first bytes of a file <paramref name="length"/> bytes long.</summary>
    private static Header ReadHeader(ReadOnlySpan<byte> head, long length)
    {
        if (length < Magic.Length && Magic.StartsWith(head))
        {
            throw new ModelFormatException($"the file is truncated: {length} bytes is shorter than a header.");
        }

        if (length < Magic.Length || !head[..Magic.Length].SequenceEqual(Magic))
        {
            throw new ModelFormatException("not an RnnLm model file (wrong magic bytes).");
        }

        if (length < HeaderLength + ChecksumLength)
        {
            throw new ModelFormatException($"the file is truncated: {length} bytes is shorter than a header.");
        }

        var reader = new SpanReader(head[..Math.Min(head.Length, MaxHeaderLength)]);
        reader.Skip(Magic.Length);
        var version = reader.UInt32();
        if (version is < 1 or > FormatVersion)
        {
            throw new ModelFormatException($"format version {version} is not supported (this build reads versions 1 to {FormatVersion}).");
        }

        var headerLength = HeaderLength + (version >= 2 ? Version2Fields : 0) + (version >= 3 ? Version3Fields : 0);
        if (length < headerLength + ChecksumLength)
        {
            throw new ModelFormatException($"the file is truncated: {length} bytes is shorter than a header.");
        }

        var output = reader.UInt32();
        var (v, d, dh, c) = (reader.Int32(), reader.Int32(), reader.Int32(), reader.Int32());
        var encoding = reader.UInt32();
        var (cell, directSize, directOrder) = version >= 2 ? (reader.UInt32(), reader.Int32(), reader.Int32()) : (0u, 0, 0);
        var flags = version >= 3 ? reader.UInt32() : 0u;
        if (output > (uint)OutputKind.Tree)
        {
            throw new ModelFormatException($"unknown output layer kind {output}.");
        }

        if ((output == (uint)OutputKind.Tree) != (version >= 4))
        {
            throw new ModelFormatException(version >= 4
                ? $"format version {version} holds a tree output only, not output kind {output}."
                : $"a tree output (kind {output}) needs format version 4, not {version}.");
        }

        if (encoding > (uint)WeightEncoding.Float16)
        {
            throw new ModelFormatException($"unknown weight encoding {encoding}.");
        }

        if (cell > (uint)CellKind.Lstm)
        {
            throw new ModelFormatException($"unknown cell kind {cell}.");
        }

        if ((flags & ~(TiedFlag | NoProjectionFlag)) != 0)
        {
            throw new ModelFormatException($"unknown flags 0x{flags:x8}.");
        }

        ModelShape shape;
        try
        {
            shape = new ModelShape(v, d, dh, (OutputKind)output, c, (CellKind)cell, directSize, directOrder, Tied: (flags & TiedFlag) != 0, NoProjection: (flags & NoProjectionFlag) != 0).Validate();
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException($"absurd dimensions: {e.Message}", e);
        }

        // Every size is known or bounded from here on: check the length before allocating anything large.
        var header = new Header(shape, encoding == (uint)WeightEncoding.Float16 ? 2 : 4, 0, headerLength);
        var minimum = headerLength + (shape.VocabularySize * 11L) + (shape.ClassCount * 4L) + header.TreeBytes + header.WeightBytes + ChecksumLength;
        if (length < minimum)
        {
            throw new ModelFormatException($"the file is truncated: {length:N0} bytes, but these dimensions need at least {minimum:N0}.");
        }

        var metadataLength = reader.Int32();
        if (metadataLength is < 0 or > MaxMetadataLength)
        {
            throw new ModelFormatException($"metadata length {metadataLength} is out of range.");
        }

        return header with { MetadataLength = metadataLength };
    }

    /// <summary>Reads what lies between the header and the weights: the metadata, the vocabulary, the class starts and the tree.</summary>
    private static (string Metadata, string[] Words, long[] Counts, int[] Starts, int[] Children) ReadPreamble(ref SpanReader reader, Header header)
    {
        var metadata = Decode(reader.Bytes(header.MetadataLength), "metadata");
        var words = new string[header.Shape.VocabularySize];
        var counts = new long[words.Length];
        for (var i = 0; i < words.Length; i++)
        {
            var length = reader.UInt16();
            words[i] = Decode(reader.Bytes(length), $"vocabulary entry {i}");
            counts[i] = reader.Int64();
        }

        var starts = new int[header.Shape.ClassCount];
        for (var i = 0; i < starts.Length; i++)
        {
            starts[i] = reader.Int32();
        }

        var children = new int[header.TreeBytes / 4];
        for (var i = 0; i < children.Length; i++)
        {
            children[i] = reader.Int32();
        }

        return (metadata, words, counts, starts, children);
    }

    private static string Decode(ReadOnlySpan<byte> bytes, string what)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new ModelFormatException($"{what} is not valid UTF-8.", e);
        }
    }

    /// <summary>What the fixed-size header says: the dimensions, bytes per weight (4 for float32, 2 for float16), the metadata's length, and its own length.</summary>
    private readonly record struct Header(ModelShape Shape, int Width, int MetadataLength, int Length)
    {
        public long WeightBytes => Shape.ParameterCount * Width;

        /// <summary>A tree output's children: two i32 for each of the |V| − 1 inner nodes.</summary>
        public long TreeBytes => Shape.Output == OutputKind.Tree ? (Shape.VocabularySize - 1) * 8L : 0;
    }

    /// <summary>Bounds-checked little-endian reads: running off the end is a truncated file, never an index error.</summary>
    private ref struct SpanReader(ReadOnlySpan<byte> bytes)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        private int _offset;

        public readonly long Remaining => _bytes.Length - _offset;

        public void Skip(int count) => Bytes(count);

        public ReadOnlySpan<byte> Bytes(int count)
        {
            if (count < 0 || count > _bytes.Length - _offset)
            {
                throw new ModelFormatException($"the file is truncated at byte {_offset:N0}.");
            }

            var slice = _bytes.Slice(_offset, count);
            _offset += count;
            return slice;
        }

        public uint UInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4));

        public int Int32() => BinaryPrimitives.ReadInt32LittleEndian(Bytes(4));

        public ushort UInt16() => BinaryPrimitives.ReadUInt16LittleEndian(Bytes(2));

        public long Int64() => BinaryPrimitives.ReadInt64LittleEndian(Bytes(8));
    }
}
