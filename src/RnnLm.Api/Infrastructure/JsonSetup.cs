using System.Text.Json;
using System.Text.Json.Serialization;

namespace RnnLm.Api.Infrastructure;

public static class JsonSetup
{
    /// <summary>
    /// camelCase JSON, read strictly: unknown fields, repeated keys, numbers written as strings, numbers where a named
    /// value is expected and nulls where a value is required are errors naming the field rather than silently ignored,
    /// defaulted or decided by whichever key came last. Every JSON a request carries is read with these options
    /// (bodies bound by the framework, POST /jobs' body and its multipart settings field).
    /// </summary>
    public static IServiceCollection AddApiJson(this IServiceCollection services) =>
        services.ConfigureHttpJsonOptions(options =>
        {
            var json = options.SerializerOptions;
            json.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
            json.AllowDuplicateProperties = false;
            json.RespectNullableAnnotations = true;
            // Not AllowReadingFromString: "5" is not a number. Named literals let a non-finite value be written
            // rather than fail the response; validation rejects them on input.
            json.NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals;
            json.MaxDepth = 64;
            json.Converters.Add(new JsonStringEnumConverter(json.PropertyNamingPolicy, allowIntegerValues: false));
        });

    /// <summary>The values of an enum as JSON writes them with <paramref name="options"/>, quotes included: <c>"ifBetter"</c>.</summary>
    public static IEnumerable<string> ValuesOf(Type enumType, JsonSerializerOptions options) =>
        Enum.GetValues(enumType).Cast<object>().Select(value => JsonSerializer.Serialize(value, enumType, options));
}
