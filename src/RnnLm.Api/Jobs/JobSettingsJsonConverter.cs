using System.Text.Json;
using System.Text.Json.Serialization;
using RnnLm.Engine.Training;

namespace RnnLm.Api.Jobs;

/// <summary>
/// <see cref="JobSettings"/> as flat JSON: one field a training setting (named as the catalog names it), then
/// <c>validFraction</c> and <c>promote</c>. Reading takes any subset: a record written before a setting existed gets that
/// setting's default.
/// </summary>
public sealed class JobSettingsJsonConverter : JsonConverter<JobSettings>
{
    private static readonly TrainingSettings Catalog = TrainingSettings.Standard;

    public override JobSettings Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("Job settings must be a JSON object.");
        }

        var training = new TrainingOptions();
        double? validFraction = null;
        var promote = PromotionMode.Never;
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (property.NameEquals("validFraction"))
            {
                validFraction = property.Value.ValueKind == JsonValueKind.Null ? null : property.Value.GetDouble();
            }
            else if (property.NameEquals("promote"))
            {
                promote = property.Value.Deserialize<PromotionMode>(options);
            }
            else if (Catalog.Find(property.Name) is { } setting)
            {
                training = setting.WithValue(training, property.Value.Deserialize(setting.ValueType, options)!);
            }
        }

        return new JobSettings(training, validFraction, promote);
    }

    public override void Write(Utf8JsonWriter writer, JobSettings value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach (var setting in Catalog.All)
        {
            writer.WritePropertyName(setting.Name);
            JsonSerializer.Serialize(writer, setting.GetValue(value.Training), setting.ValueType, options);
        }

        writer.WritePropertyName("validFraction");
        JsonSerializer.Serialize(writer, value.ValidFraction, options);
        writer.WritePropertyName("promote");
        JsonSerializer.Serialize(writer, value.Promote, options);
        writer.WriteEndObject();
    }
}
