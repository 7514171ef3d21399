using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using RnnLm.Engine.IO;
using RnnLm.Engine.Model;

namespace RnnLm.Engine.Tests;

public sealed partial class ModelFileTests
{
    // ---- damaged files ----

    [Theory]
    [InlineData(OutputKind.Full, WeightEncoding.Float32)]
    [InlineData(OutputKind.Full, WeightEncoding.Float16)]
    [InlineData(OutputKind.Classes, WeightEncoding.Float32)]
    [InlineData(OutputKind.Classes, WeightEncoding.Float16)]
    public void ATruncatedFileIsReportedAsTruncated(OutputKind output, WeightEncoding encoding)
    {
        var model = SmallModel(output, seed: 6);
        var bytes = Serialize(model, encoding);
        // Every cut in the header, metadata, vocabulary, class starts and first weights (at least the first 200 bytes);
        // then a spread through the rest of the weights; then every cut in the last 40 bytes, checksum included.
        var width = encoding == WeightEncoding.Float16 ? 2 : 4;
        var exhaustive = Math.Max(200, bytes.Length - ChecksumLength - (width * (int)model.Shape.ParameterCount) + 16);
        Assert.True(bytes.Length > exhaustive + 200, "the weights should be long enough to spread cuts through");
        var cuts = Enumerable.Range(0, exhaustive)
            .Concat(Enumerable.Range(0, 40).Select(i => exhaustive + (i * (bytes.Length - exhaustive - 40) / 40)))
            .Concat(Enumerable.Range(bytes.Length - 40, 40))
            .Distinct()
            .ToArray();

        foreach (var cut in cuts)
        {
            AssertTruncationMessage(AssertDeserializeFails(bytes[..cut], $"cut at {cut} of {bytes.Length}"), cut);
        }

        // The same through files on disk, for a sample of the cuts (file system calls are slow on some CI disks).
        foreach (var cut in new[] { 0, 1, 7, 8, 11, 39, 40, 71, 72, 150, cuts[^60], bytes.Length - ChecksumLength, bytes.Length - 1 })
        {
            AssertTruncationMessage(AssertLoadFails(bytes[..cut], $"file cut at {cut} of {bytes.Length}"), cut);
        }

        static void AssertTruncationMessage(ModelFormatException error, int cut)
        {
            // Shorter than the 8-byte magic, the file cannot even be recognized; every longer cut must say "truncated".
            var phrase = cut < 8 && !error.Message.Contains("truncated", StringComparison.Ordinal) ? "magic" : "truncated";
            Assert.True(error.Message.Contains(phrase, StringComparison.Ordinal), $"cut at {cut}: \"{error.Message}\"");
        }
    }

    [Theory]
    [InlineData(OutputKind.Full)]
    [InlineData(OutputKind.Classes)]
    public void AFlippedByteInTheWeightsFailsTheChecksum(OutputKind output)
    {
        var model = SmallModel(output, seed: 7);
        var bytes = Serialize(model, WeightEncoding.Float32);
        var offset = bytes.Length - ChecksumLength - (4 * (int)model.Shape.ParameterCount);
        // One flip in the middle of every tensor, in the class starts, and in the checksum itself.
        var positions = new List<int>();
        foreach (var (_, values) in model.Parameters.Tensors())
        {
            if (values.Length > 0)
            {
                positions.Add(offset + (values.Length / 2 * 4) + 1);
            }

            offset += 4 * values.Length;
        }

        positions.Add(bytes.Length - ChecksumLength - 1);
        positions.Add(bytes.Length - 1);
        positions.Add(bytes.Length - ChecksumLength);
        if (output == OutputKind.Classes)
        {
            positions.Add(bytes.Length - ChecksumLength - (4 * (int)model.Shape.ParameterCount) - 2);
        }

        foreach (var position in positions)
        {
            var damaged = (byte[])bytes.Clone();
            damaged[position] ^= 0x10;
            AssertLoadFails(damaged, "checksum", $"byte {position} flipped");
        }
    }

    [Theory]
    [InlineData(OutputKind.Full)]
    [InlineData(OutputKind.Classes)]
    public void AnyFlippedByteAnywhereIsAModelFormatException(OutputKind output)
    {
        var model = SmallModel(output, seed: 8);
        var bytes = Serialize(model, WeightEncoding.Float32);
        // Every byte the parser interprets (header, metadata, vocabulary, class starts, the first weights); past
        // those only the checksum can notice a flip, so a stride through the weights and all of the checksum.
        var weights = bytes.Length - ChecksumLength - (4 * (int)model.Shape.ParameterCount);
        var positions = Enumerable.Range(0, weights + 16)
            .Concat(Enumerable.Range(weights + 16, bytes.Length - weights - 16).Where(i => i % 7 == 0))
            .Concat(Enumerable.Range(bytes.Length - ChecksumLength, ChecksumLength))
            .Distinct();
        var wrong = new List<string>();
        foreach (var mask in new byte[] { 0x01, 0x80, 0xFF })
        {
            foreach (var position in positions)
            {
                var damaged = (byte[])bytes.Clone();
                damaged[position] ^= mask;
                var error = Record(() => ModelFile.Deserialize(damaged));
                if (error is not ModelFormatException)
                {
                    wrong.Add($"byte {position} ^ 0x{mask:X2}: {(error is null ? "loaded without error" : $"{error.GetType().Name}: {error.Message}")}");
                }
            }
        }

        Assert.True(wrong.Count == 0, string.Join(Environment.NewLine, wrong.Take(20)));
    }

    [Theory]
    [InlineData(OutputKind.Full)]
    [InlineData(OutputKind.Classes)]
    public void RandomBytesWithAValidChecksumAreAModelFormatExceptionOrAValidModel(OutputKind output)
    {
        var bytes = Serialize(SmallModel(output, seed: 8), WeightEncoding.Float32);
        var random = new Random(19);
        var wrong = new List<string>();
        for (var trial = 0; trial < 1_000; trial++)
        {
            // Overwrite a random stretch after the magic with random bytes, then make the checksum agree,
            // so the damage reaches the parser's own checks instead of stopping at the checksum.
            var damaged = (byte[])bytes.Clone();
            var start = random.Next(8, damaged.Length - ChecksumLength);
            var length = Math.Min(1 + random.Next(12), damaged.Length - ChecksumLength - start);
            random.NextBytes(damaged.AsSpan(start, length));
            SHA256.HashData(damaged.AsSpan(0, damaged.Length - ChecksumLength), damaged.AsSpan(damaged.Length - ChecksumLength));
            var error = Record(() => ModelFile.Deserialize(damaged));
            if (error is not null and not ModelFormatException)
            {
                wrong.Add($"trial {trial}, bytes {start}..{start + length}: {error.GetType().Name}: {error.Message}");
            }
        }

        Assert.True(wrong.Count == 0, string.Join(Environment.NewLine, wrong.Take(20)));
    }

    [Fact]
    public void AFileWithTheWrongMagicIsNotAModelFile()
    {
        var bytes = Serialize(SmallModel(OutputKind.Full, seed: 9), WeightEncoding.Float32);

        var renamed = (byte[])bytes.Clone();
        renamed[0] = (byte)'X';
        AssertLoadFails(renamed, "magic", "first byte changed");

        // A text-mode transfer turns "\r\n" into "\n": exactly what the magic is there to catch.
        var textMode = bytes.Take(5).Concat(bytes.Skip(6)).ToArray();
        AssertLoadFails(textMode, "magic", "CR dropped");

        AssertLoadFails(Encoding.UTF8.GetBytes("{\"this\": \"is JSON, not a model, but long enough to hold a header and a checksum\"}"), "magic", "a JSON file");
        AssertLoadFails(new byte[4096], "magic", "zeros");
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(4u)]
    [InlineData(uint.MaxValue)]
    public void AnotherFormatVersionIsRejectedAsSuch(uint version)
    {
        var bytes = Serialize(SmallModel(OutputKind.Classes, seed: 10), WeightEncoding.Float32);
        // The checksum is fixed up, so it is the version check that has to fire.
        var error = AssertLoadFails(PatchUInt32(bytes, VersionOffset, version), "version", $"version {version}");
        Assert.Contains(version.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<OutputKind, int, int, string> AbsurdDimensions() => new()
    {
        { OutputKind.Full, VocabularyOffset, int.MaxValue, "absurd dimensions" },
        { OutputKind.Full, VocabularyOffset, ModelShape.MaxVocabularySize + 1, "absurd dimensions" },
        { OutputKind.Full, VocabularyOffset, -1, "absurd dimensions" },
        { OutputKind.Full, VocabularyOffset, int.MinValue, "absurd dimensions" },
        { OutputKind.Full, VocabularyOffset, 0, "absurd dimensions" },
        { OutputKind.Full, VocabularyOffset, 1, "absurd dimensions" },
        { OutputKind.Full, EmbeddingOffset, 0, "absurd dimensions" },
        { OutputKind.Full, EmbeddingOffset, -7, "absurd dimensions" },
        { OutputKind.Full, EmbeddingOffset, ModelShape.MaxWidth + 1, "absurd dimensions" },
        { OutputKind.Full, HiddenOffset, 1_000_000_000, "absurd dimensions" },
        { OutputKind.Full, HiddenOffset, -1, "absurd dimensions" },
        { OutputKind.Full, HiddenOffset, int.MaxValue, "absurd dimensions" },
        { OutputKind.Full, ClassCountOffset, 3, "absurd dimensions" },
        { OutputKind.Full, ClassCountOffset, -1, "absurd dimensions" },
        { OutputKind.Classes, ClassCountOffset, 0, "absurd dimensions" },
        { OutputKind.Classes, ClassCountOffset, -5, "absurd dimensions" },
        { OutputKind.Classes, ClassCountOffset, 13, "absurd dimensions" },
        { OutputKind.Classes, ClassCountOffset, int.MaxValue, "absurd dimensions" },
        // Plausible dimensions that the file is far too short for: rejected before anything is allocated.
        { OutputKind.Full, HiddenOffset, ModelShape.MaxWidth, "truncated" },
        { OutputKind.Full, VocabularyOffset, ModelShape.MaxVocabularySize, "truncated" },
        { OutputKind.Classes, VocabularyOffset, 1_000_000, "truncated" },
    };

    [Theory]
    [MemberData(nameof(AbsurdDimensions))]
    public void AbsurdDimensionsAreRejectedBeforeAnythingIsAllocated(OutputKind output, int offset, int value, string phrase)
    {
        var bytes = Serialize(SmallModel(output, seed: 11), WeightEncoding.Float32);
        Assert.Equal(12u, ReadUInt32(bytes, VocabularyOffset)); // the class-count cases above assume |V| = 12
        AssertLoadFails(PatchUInt32(bytes, offset, unchecked((uint)value)), phrase, $"offset {offset} = {value}");
    }

    [Fact]
    public void DimensionsWithinEachLimitButBeyondTheParameterBudgetAreAbsurd()
    {
        var bytes = Serialize(SmallModel(OutputKind.Full, seed: 11), WeightEncoding.Float32);
        bytes = PatchUInt32(bytes, VocabularyOffset, ModelShape.MaxVocabularySize);
        bytes = PatchUInt32(bytes, EmbeddingOffset, ModelShape.MaxWidth);
        bytes = PatchUInt32(bytes, HiddenOffset, ModelShape.MaxWidth);
        AssertLoadFails(bytes, "absurd dimensions", "the largest |V|, d and Dh at once");
    }

    [Theory]
    [InlineData(OutputOffset, 3u, "output layer kind")]
    [InlineData(OutputOffset, 2u, "needs format version 4")] // a tree output in a version 1 file
    [InlineData(OutputOffset, 0x8000_0001u, "output layer kind")]
    [InlineData(OutputOffset, uint.MaxValue, "output layer kind")]
    [InlineData(EncodingOffset, 2u, "weight encoding")]
    [InlineData(EncodingOffset, 0x8000_0000u, "weight encoding")]
    [InlineData(EncodingOffset, uint.MaxValue, "weight encoding")]
    [InlineData(MetadataLengthOffset, uint.MaxValue, "metadata length")]
    [InlineData(MetadataLengthOffset, 0x8000_0000u, "metadata length")]
    [InlineData(MetadataLengthOffset, (1u << 20) + 1, "metadata length")]
    [InlineData(MetadataLengthOffset, 100_000u, "truncated")]
    public void AnUnknownHeaderValueIsNamedInTheMessage(int offset, uint value, string phrase)
    {
        var bytes = Serialize(SmallModel(OutputKind.Classes, seed: 12), WeightEncoding.Float32);
        AssertLoadFails(PatchUInt32(bytes, offset, value), phrase, $"offset {offset} = {value}");
    }

    [Theory]
    [InlineData(OutputKind.Full, 1)]
    [InlineData(OutputKind.Full, 1_000)]
    [InlineData(OutputKind.Classes, 4)]
    public void TrailingBytesAreRejected(OutputKind output, int extra)
    {
        var model = SmallModel(output, seed: 13);

        // Bytes between the weights and a valid checksum of everything before it.
        var image = FileImage.Of(model);
        image.Trailing = [.. Enumerable.Range(0, extra).Select(i => (byte)i)];
        AssertLoadFails(image.ToBytes(), "unexpected bytes", $"{extra} bytes before the checksum");

        // Bytes appended after the checksum.
        var bytes = Serialize(model, WeightEncoding.Float32);
        AssertLoadFails([.. bytes, .. new byte[extra]], "unexpected bytes", $"{extra} bytes after the checksum");
    }

    public static TheoryData<byte[]> InvalidUtf8() => new()
    {
        new byte[] { 0xFF },
        new byte[] { (byte)'a', 0xC3, 0x28 },        // a lead byte followed by a non-continuation byte
        new byte[] { 0xC0, 0xAF },                   // overlong encoding of '/'
        new byte[] { 0xED, 0xA0, 0x80 },             // a UTF-16 surrogate encoded in UTF-8
        new byte[] { (byte)'x', 0xE2, 0x82 },        // a sequence cut short
        new byte[] { 0xF4, 0x90, 0x80, 0x80 },       // above U+10FFFF
    };

    [Theory]
    [MemberData(nameof(InvalidUtf8))]
    public void InvalidUtf8InAWordOrInTheMetadataIsRejected(byte[] invalid)
    {
        var model = SmallModel(OutputKind.Classes, seed: 14);

        var word = FileImage.Of(model);
        word.Words[4] = invalid;
        var error = AssertLoadFails(word.ToBytes(), "UTF-8", "word 4");
        Assert.Contains("vocabulary entry 4", error.Message, StringComparison.Ordinal);

        var metadata = FileImage.Of(model);
        metadata.Metadata = [.. "{\"a\":\""u8, .. invalid, .. "\"}"u8];
        error = AssertLoadFails(metadata.ToBytes(), "UTF-8", "metadata");
        Assert.Contains("metadata", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(OutputKind.Full)]
    [InlineData(OutputKind.Classes)]
    public void ADuplicateVocabularyWordIsRejected(OutputKind output)
    {
        var image = FileImage.Of(SmallModel(output, seed: 15));
        image.Words[7] = image.Words[3];
        var error = AssertLoadFails(image.ToBytes(), "appears twice", "word 7 = word 3");
        Assert.Contains(Encoding.UTF8.GetString(image.Words[3]), error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("two words", "white space")]
    [InlineData("tab\there", "white space")]
    public void AnEmptyOrSpacedVocabularyWordIsRejected(string word, string phrase)
    {
        var image = FileImage.Of(SmallModel(OutputKind.Full, seed: 16));
        image.Words[5] = Encoding.UTF8.GetBytes(word);
        AssertLoadFails(image.ToBytes(), phrase, $"word '{word}'");
    }

    [Theory]
    [InlineData(Vocabulary.EndOfSentenceToken)]
    [InlineData(Vocabulary.UnknownToken)]
    public void AVocabularyWithoutASpecialTokenIsRejected(string token)
    {
        var model = SmallModel(OutputKind.Full, seed: 17);
        var image = FileImage.Of(model);
        image.Words[model.Vocabulary.IdOf(token)] = "replacement"u8.ToArray();
        AssertLoadFails(image.ToBytes(), $"no {token}", $"without {token}");
    }

    [Theory]
    [InlineData(new[] { 1, 4, 8 }, "start at id 0")]
    [InlineData(new[] { 0, 4, 4 }, "strictly increasing")]
    [InlineData(new[] { 0, 8, 4 }, "strictly increasing")]
    [InlineData(new[] { 0, 4, 12 }, "at least one word")]
    [InlineData(new[] { 0, 4, -3 }, "strictly increasing")]
    [InlineData(new[] { 0, 4, int.MaxValue }, "at least one word")]
    public void InvalidClassStartsAreRejected(int[] starts, string phrase)
    {
        var image = FileImage.Of(SmallModel(OutputKind.Classes, seed: 18));
        Assert.Equal(3, image.Starts.Count);
        image.Starts.Clear();
        image.Starts.AddRange(starts);
        var error = AssertLoadFails(image.ToBytes(), phrase, $"starts {string.Join(", ", starts)}");
        Assert.Contains("invalid vocabulary or classes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AWordLengthRunningPastTheEndIsTruncation()
    {
        var model = SmallModel(OutputKind.Full, seed: 19);
        var image = FileImage.Of(model);
        image.Words[^1] = new byte[60_000];
        image.Weights = [];
        AssertLoadFails(image.ToBytes(), "truncated", "a last word longer than the rest of the file");
    }

    [Fact]
    public void AMissingFileIsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => ModelFile.Load(Path.Combine(_temp, "no-such-model.rnnlm")));
        Assert.Throws<FileNotFoundException>(() => ModelFile.Load(Path.Combine(_temp, "no-such-directory", "model.rnnlm")));
    }

    [Fact]
    public void AFileTooLargeToReadIsAModelFormatExceptionNotAnIOException()
    {
        // A sparse 3 GiB file that starts like a model: larger than a byte array can hold.
        // Setting the length allocates nothing on the file systems tests run on.
        var path = Path.Combine(_temp, "huge.rnnlm");
        using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
        {
            stream.Write(Serialize(SmallModel(OutputKind.Full, seed: 20), WeightEncoding.Float32).AsSpan(0, HeaderLength));
            stream.SetLength(3L << 30);
        }

        var error = Record(() => ModelFile.Load(path));
        Assert.True(error is ModelFormatException, $"{error?.GetType().Name}: {error?.Message}");
    }
}
