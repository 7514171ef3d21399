using System.Text.Json.Serialization;

namespace RnnLm.Api.Infrastructure;

public static class JsonSetup
{
    /// <summary>
    /// camelCase JSON, read strictly: unknown fields, numbers written as strings and nulls where a value is required
    /// are errors naming the field rather than silently ignored or defaulted.
    /// </summary>
    public static IServiceCollection AddApiJson(this IServiceCollection services) =>
        services.ConfigureHttpJsonOptions(options =>
        {
            var json = options.SerializerOptions;
            json.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
            json.RespectNullableAnnotations = true;
            // Not AllowReadingFromString: "5" is not a number. Named literals let a non-finite value be written
            // rather than fail the response; validation rejects them on input.
            json.NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals;
            json.MaxDepth = 64;
            json.Converters.Add(new JsonStringEnumConverter(json.PropertyNamingPolicy));
        });
}
