using System.Text.Json;

namespace RnnLm.Data;

/// <summary>Reads and writes <c>manifest.json</c>.</summary>
internal static class BrownManifestFile
{
    public static byte[] Serialize(BrownManifest manifest)
    {
        using var buffer = new MemoryStream();

        // Fixed "\n" so the committed manifest is byte-identical whichever OS regenerates it.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, NewLine = "\n" }))
        {
            json.WriteStartObject();
            json.WriteString("source", manifest.Source);
            json.WriteString("protocol", manifest.Protocol);
            json.WriteStartObject("splits");
            WriteSplit(json, "train", manifest.Train);
            WriteSplit(json, "valid", manifest.Valid);
            WriteSplit(json, "test", manifest.Test);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    private static void WriteSplit(Utf8JsonWriter json, string name, BrownSplitInfo info)
    {
        json.WriteStartObject(name);
        json.WriteString("file", info.File);
        json.WriteNumber("sentences", info.Sentences);
        json.WriteNumber("tokens", info.Tokens);
        json.WriteString("sha256", info.Sha256);
        json.WriteEndObject();
    }

    // ---- verifying ----

    public static BrownManifest Read(string path)
    {
        byte[] bytes = DataFiles.ReadAllBytes(path);
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            var root = doc.RootElement;
            var splits = GetProperty(root, "splits", "splits", JsonValueKind.Object);
            return new BrownManifest(
                GetProperty(root, "source", "source", JsonValueKind.String).GetString()!,
                GetProperty(root, "protocol", "protocol", JsonValueKind.String).GetString()!,
                ReadSplitInfo(splits, "train"),
                ReadSplitInfo(splits, "valid"),
                ReadSplitInfo(splits, "test"));
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{BrownCorpus.ManifestFileName}: not valid JSON: {DataFiles.OneLine(ex.Message)}", ex);
        }
    }

    private static BrownSplitInfo ReadSplitInfo(JsonElement splits, string name)
    {
        var split = GetProperty(splits, name, $"splits.{name}", JsonValueKind.Object);
        return new BrownSplitInfo(
            GetProperty(split, "file", $"splits.{name}.file", JsonValueKind.String).GetString()!,
            GetInt(split, "sentences", $"splits.{name}.sentences"),
            GetInt(split, "tokens", $"splits.{name}.tokens"),
            GetProperty(split, "sha256", $"splits.{name}.sha256", JsonValueKind.String).GetString()!);
    }

    private static JsonElement GetProperty(JsonElement parent, string name, string path, JsonValueKind kind)
    {
        if (parent.ValueKind != JsonValueKind.Object || !parent.TryGetProperty(name, out var value) || value.ValueKind != kind)
        {
            throw new InvalidDataException($"{BrownCorpus.ManifestFileName}: '{path}' is missing or not a JSON {kind.ToString().ToLowerInvariant()}");
        }

        return value;
    }

    private static int GetInt(JsonElement parent, string name, string path)
    {
        var value = GetProperty(parent, name, path, JsonValueKind.Number);
        if (!value.TryGetInt32(out var number) || number < 0)
        {
            throw new InvalidDataException($"{BrownCorpus.ManifestFileName}: '{path}' is not a non-negative 32-bit integer");
        }

        return number;
    }
}
