using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using RnnLm.Engine.Training;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace RnnLm.Api.Jobs;

/// <summary>
/// The training settings in the OpenAPI document come from the engine's catalog, as the validation does: each setting of a
/// <see cref="JobRequest"/> (this filter) and a <see cref="JobSettings"/> (<see cref="JobSettingsSchema"/>) is a property
/// with its type, limits, default and description.
/// </summary>
internal sealed class TrainingSettingsSchemaFilter(TrainingSettings catalog) : ISchemaFilter
{
    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (schema is not OpenApiSchema concrete || context.Type != typeof(JobRequest))
        {
            return;
        }

        concrete.Properties ??= new Dictionary<string, IOpenApiSchema>();
        concrete.Properties.Remove("settings"); // the request's catch-all for the settings, listed one by one below
        concrete.AdditionalPropertiesAllowed = false;
        concrete.AdditionalProperties = null;
        foreach (var setting in catalog.All)
        {
            concrete.Properties[setting.Name] = Describe(catalog, setting, request: true);
        }
    }

    /// <summary>
    /// The schema of <see cref="JobSettings"/> as its converter writes it: every setting, then validFraction and promote, all
    /// required (mapped for the type, so no schema is made of the record's own shape).
    /// </summary>
    public static OpenApiSchema JobSettingsSchema(TrainingSettings catalog)
    {
        var properties = catalog.All.ToDictionary(s => s.Name, s => (IOpenApiSchema)Describe(catalog, s, request: false));
        properties["validFraction"] = new OpenApiSchema
        {
            Type = JsonSchemaType.Number | JsonSchemaType.Null,
            Description = "The fraction of the training sentences held out for validation, or null when validation text was sent or the corpus brings its own.",
        };
        properties["promote"] = new OpenApiSchema
        {
            Type = JsonSchemaType.String,
            Enum = [.. Enum.GetNames<PromotionMode>().Select(n => (JsonNode)JsonValue.Create(JsonNamingPolicy.CamelCase.ConvertName(n)))],
            Description = "never, ifBetter or always.",
        };
        return new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "The settings of a job, as validated: every training setting with the defaults filled in, the held-out fraction and promote.",
            Properties = properties,
            Required = new HashSet<string>(properties.Keys),
            AdditionalPropertiesAllowed = false,
        };
    }

    private static OpenApiSchema Describe(TrainingSettings catalog, TrainingSetting setting, bool request)
    {
        var value = setting.GetValue(catalog.Defaults);
        var schema = new OpenApiSchema
        {
            Description = setting.Follows is { } leader && request
                ? $"{setting.Description}; {setting.Rule}. Default: the {leader} value."
                : $"{setting.Description}; {setting.Rule}.",
        };
        switch (value)
        {
            case int:
                schema.Type = JsonSchemaType.Integer;
                schema.Format = "int32";
                break;
            case double:
                schema.Type = JsonSchemaType.Number;
                schema.Format = "double";
                break;
            case bool:
                schema.Type = JsonSchemaType.Boolean;
                break;
            default:
                schema.Type = JsonSchemaType.String;
                schema.Enum = [.. setting.Choices.Select(c => (JsonNode)JsonValue.Create(c))];
                break;
        }

        if (setting.Minimum is { } min)
        {
            var text = min.ToString("R", CultureInfo.InvariantCulture);
            if (setting.MinimumExclusive)
            {
                schema.ExclusiveMinimum = text;
            }
            else
            {
                schema.Minimum = text;
            }
        }

        schema.Maximum = setting.Maximum?.ToString("R", CultureInfo.InvariantCulture);
        if (request && setting.Follows is null)
        {
            // Format writes the value as JSON would (invariant numbers, camelCase names): parse numbers and booleans back as such.
            var formatted = setting.Format(value);
            schema.Default = value is Enum ? JsonValue.Create(formatted) : JsonNode.Parse(formatted);
        }

        return schema;
    }
}
