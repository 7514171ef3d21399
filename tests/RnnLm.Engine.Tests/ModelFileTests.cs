using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using RnnLm.Engine.IO;
using RnnLm.Engine.Model;

namespace RnnLm.Engine.Tests;

/// <summary>
/// The binary model file: exact round trips, half-precision round trips, and every kind of damaged file
/// failing with <see cref="ModelFormatException"/> and a message that names the problem.
/// </summary>
public sealed class ModelFileTests : IDisposable
{
    // Header layout (see ModelFile): magic, version, output kind, |V|, d, Dh, C, encoding, metadata length.
    private const int VersionOffset = 8;
    private const int OutputOffset = 12;
    private const int VocabularyOffset = 16;
    private const int EmbeddingOffset = 20;
    private const int HiddenOffset = 24;
    private const int ClassCountOffset = 28;
    private const int EncodingOffset = 32;
    private const int MetadataLengthOffset = 36;
    private const int HeaderLength = 40;
    private const int ChecksumLength = 32;
    private const string Metadata = "{\"name\":\"tïny tëst ✓\",\"corpus\":\"synthetic\"}";

    private readonly string _temp = Directory.CreateTempSubdirectory("modelfile-tests-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_temp, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A leftover temp folder is not worth failing a test over.
        }
    }

    // ---- round trips ----

    [Theory]
    [InlineData(OutputKind.Full)]
    [InlineData(OutputKind.Classes)]
    public void AFloat32RoundTripIsBitExact(OutputKind output)
    {
        var model = SmallModel(output, seed: 1);
        // Values a lossy conversion would disturb: negative zero, subnormals, the extremes, a NaN with a payload.
        var special = new[] { -0f, float.Epsilon, -1.5e-39f, float.MaxValue, float.MinValue, BitConverter.Int32BitsToSingle(0x7FC0_1234), 1f / 3 };
        special.CopyTo(model.Parameters.Embedding, 0);
        special.CopyTo(model.Parameters.Output, model.Parameters.Output.Length - special.Length);
        model.Parameters.OutputBias[^1] = -0f;
        if (output == OutputKind.Classes)
        {
            model.Parameters.ClassBias[0] = float.Epsilon;
        }

        var loaded = RoundTrip(model, WeightEncoding.Float32);

        Assert.Equal(model.Shape, loaded.Shape);
        Assert.Equal(model.Metadata, loaded.Metadata);
        Assert.Equal(model.Vocabulary.Words, loaded.Vocabulary.Words);
        Assert.Equal(model.Vocabulary.Counts, loaded.Vocabulary.Counts);
        Assert.Equal(model.Vocabulary.EndOfSentence, loaded.Vocabulary.EndOfSentence);
        Assert.Equal(model.Vocabulary.Unknown, loaded.Vocabulary.Unknown);
        if (output == OutputKind.Classes)
        {
            Assert.NotNull(loaded.Classes);
            Assert.Equal(model.Classes!.Starts.ToArray(), loaded.Classes.Starts.ToArray());
        }
        else
        {
            Assert.Null(loaded.Classes);
        }

        foreach (var ((name, expected), (_, actual)) in model.Parameters.Tensors().Zip(loaded.Parameters.Tensors()))
        {
            Assert.Equal(expected.Length, actual.Length);
            for (var i = 0; i < expected.Length; i++)
            {
                Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]), $"{name}[{i}]: {expected[i]:R} became {actual[i]:R}");
            }
        }
    }

    [Theory]
    [InlineData(OutputKind.Full)]
    [InlineData(OutputKind.Classes)]
    public void AFloat32RoundTripScoresIdentically(OutputKind output)
    {
        var model = SmallModel(output, seed: 2);
        var loaded = RoundTrip(model, WeightEncoding.Float32);
        foreach (var sentence in Sentences(model))
        {
            Assert.Equal(model.Score(sentence).Tokens, loaded.Score(sentence).Tokens);
        }
    }

    [Theory]
    [InlineData(OutputKind.Full)]
    [InlineData(OutputKind.Classes)]
    public void AFloat16RoundTripKeepsWeightsWithinHalfPrecisionAndScoresClose(OutputKind output)
    {
        var model = SmallModel(output, seed: 3);
        var loaded = RoundTrip(model, WeightEncoding.Float16);

        Assert.Equal(model.Shape, loaded.Shape);
        Assert.Equal(model.Metadata, loaded.Metadata);
        Assert.Equal(model.Vocabulary.Words, loaded.Vocabulary.Words);
        Assert.Equal(model.Vocabulary.Counts, loaded.Vocabulary.Counts);
        Assert.Equal(model.Classes?.Starts.ToArray(), loaded.Classes?.Starts.ToArray());
        var changed = 0;
        foreach (var ((name, expected), (_, actual)) in model.Parameters.Tensors().Zip(loaded.Parameters.Tensors()))
        {
            for (var i = 0; i < expected.Length; i++)
            {
                // Half precision keeps 11 significant bits (relative rounding ≤ 2⁻¹¹); below 2⁻¹⁴ it is subnormal, spaced 2⁻²⁴.
                var error = Math.Abs(expected[i] - actual[i]);
                Assert.True(error <= (1e-3 * Math.Abs(expected[i])) + 6e-8, $"{name}[{i}]: {expected[i]:R} became {actual[i]:R}");
                changed += error > 0 ? 1 : 0;
            }
        }

        Assert.True(changed > 0, "half precision should round some weights");
        foreach (var sentence in Sentences(model))
        {
            var (a, b) = (model.Score(sentence), loaded.Score(sentence));
            for (var i = 0; i < a.TokenCount; i++)
            {
                Assert.True(Math.Abs(a.Tokens[i].LogProb - b.Tokens[i].LogProb) <= 1e-2, $"token {i}: {a.Tokens[i].LogProb:R} vs {b.Tokens[i].LogProb:R}");
            }
        }

        // Half-precision weights survive a second half-precision save unchanged.
        var again = RoundTrip(loaded, WeightEncoding.Float16);
        foreach (var ((_, first), (_, second)) in loaded.Parameters.Tensors().Zip(again.Parameters.Tensors()))
        {
            Assert.Equal(first, second);
        }
    }

    [Theory]
    [InlineData(OutputKind.Full, WeightEncoding.Float32)]
    [InlineData(OutputKind.Full, WeightEncoding.Float16)]
    [InlineData(OutputKind.Classes, WeightEncoding.Float32)]
    [InlineData(OutputKind.Classes, WeightEncoding.Float16)]
    public void TheFileHasTheDocumentedLayout(OutputKind output, WeightEncoding encoding)
    {
        var model = SmallModel(output, seed: 4);
        var bytes = Save(model, encoding);

        var words = model.Vocabulary.Words.Sum(w => 2 + Encoding.UTF8.GetByteCount(w) + 8);
        var width = encoding == WeightEncoding.Float16 ? 2 : 4;
        var expectedLength = HeaderLength + Encoding.UTF8.GetByteCount(Metadata) + words + (4 * model.Shape.ClassCount) + (width * model.Shape.ParameterCount) + ChecksumLength;
        Assert.Equal(expectedLength, bytes.Length);
        Assert.Equal("RNNLM\r\n\x1a"u8.ToArray(), bytes[..8]);
        Assert.Equal(ModelFile.FormatVersion, ReadUInt32(bytes, VersionOffset));
        Assert.Equal((uint)output, ReadUInt32(bytes, OutputOffset));
        Assert.Equal((uint)model.Shape.VocabularySize, ReadUInt32(bytes, VocabularyOffset));
        Assert.Equal((uint)model.Shape.Embedding, ReadUInt32(bytes, EmbeddingOffset));
        Assert.Equal((uint)model.Shape.Hidden, ReadUInt32(bytes, HiddenOffset));
        Assert.Equal((uint)model.Shape.ClassCount, ReadUInt32(bytes, ClassCountOffset));
        Assert.Equal((uint)encoding, ReadUInt32(bytes, EncodingOffset));
        Assert.Equal(SHA256.HashData(bytes.AsSpan(0, bytes.Length - ChecksumLength)), bytes[^ChecksumLength..]);
        Assert.Equal(bytes, Serialize(model, encoding));
        if (encoding == WeightEncoding.Float32)
        {
            // The hand-written image used by the corruption tests below is the writer's format, byte for byte.
            Assert.Equal(bytes, FileImage.Of(model).ToBytes());
        }
    }

    [Fact]
    public void SavingOverwritesAnExistingFileAndLeavesNoTemporaryFiles()
    {
        var directory = Directory.CreateDirectory(Path.Combine(_temp, "nested", "models")).FullName;
        var path = Path.Combine(directory, "model.rnnlm");
        File.WriteAllText(path, "an older, longer file that must be replaced entirely");
        var model = SmallModel(OutputKind.Full, seed: 5);

        ModelFile.Save(model, path);

        Assert.Equal([path], Directory.GetFiles(directory));
        Assert.Equal(model.Vocabulary.Words, ModelFile.Load(path).Vocabulary.Words);
    }

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
    [InlineData(2u)]
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
    [InlineData(OutputOffset, 2u, "output layer kind")]
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
        ModelFile.Serialize(model.Vocabulary, model.Classes, model.Parameters, model.Metadata, encoding);

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

        return new LanguageModel(vocabulary, classes, parameters, Metadata);
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
