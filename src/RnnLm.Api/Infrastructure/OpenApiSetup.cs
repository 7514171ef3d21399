using System.ComponentModel;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Mvc.Infrastructure;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace RnnLm.Api.Infrastructure;

/// <summary>A request or response record with a typed example: it becomes the schema's example in the OpenAPI document.</summary>
public interface IDocumentedExample<TSelf>
    where TSelf : IDocumentedExample<TSelf>
{
    static abstract TSelf Example { get; }
}

public static class OpenApiSetup
{
    internal const string ApiKeyScheme = "ApiKey";

    public static IServiceCollection AddApiDocumentation(this IServiceCollection services)
    {
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(options =>
        {
            options.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "RnnLm API",
                Version = "v1",
                Description = "Scores, predicts and generates English text with an Elman recurrent-network language model trained on the Brown corpus. "
                    + "Log-probabilities are natural logs; every sentence is scored from its start and its end-of-sentence token </s> is predicted and counted; "
                    + "words outside the vocabulary are scored as <unk>. Text is tokenized the way the Brown corpus is (see POST /tokenize). "
                    + "Errors are RFC 9457 problem details whose `errors` object names each offending field.",
            });
            options.AddServer(new OpenApiServer { Url = "/", Description = "The server that serves this document" });
            options.SupportNonNullableReferenceTypes();
            options.UseAllOfToExtendReferenceSchemas(); // lets a property that refers to another schema keep its own description
            options.SchemaFilter<DocumentationSchemaFilter>();
            options.OperationFilter<DocumentationOperationFilter>();
            options.OperationFilter<ApiExampleOperationFilter>();
            options.AddSecurityDefinition(ApiKeyScheme, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = ApiKeyFilter.Header,
                Description = "Job and model-management endpoints need the key configured as RnnLm:ApiKey (environment variable RnnLm__ApiKey).",
            });
            options.OperationFilter<ApiKeyOperationFilter>();
            options.OperationFilter<CommonResponsesOperationFilter>();
            options.DocumentFilter<TagDescriptionDocumentFilter>();
            options.DocumentFilter<NullableReferenceDocumentFilter>();
            options.DocumentFilter<MarkdownTextDocumentFilter>(); // last: it sees every description the others wrote
        });
        return services;
    }

    /// <summary>The OpenAPI document at /swagger/v1/swagger.json and Swagger UI at /swagger.</summary>
    public static WebApplication MapApiDocumentation(this WebApplication app)
    {
        app.UseSwagger();
        app.UseSwaggerUI(options =>
        {
            options.SwaggerEndpoint("/swagger/v1/swagger.json", "RnnLm API v1");
            options.DocumentTitle = "RnnLm API";
            options.EnableTryItOutByDefault();
            options.DisplayRequestDuration();
        });
        return app;
    }

    // Examples leave out null fields: a null in a pre-filled request body would only be noise.
    internal static JsonNode? ToNode(object? value, Type type, JsonSerializerOptions json) =>
        value is null ? null : JsonSerializer.SerializeToNode(value, type, new JsonSerializerOptions(json) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull });
}

/// <summary>
/// Carries the code's documentation into schemas: [Description] on types and properties, [DefaultValue] as default
/// and example, and a type's <see cref="IDocumentedExample{TSelf}"/> as the schema's example (what Swagger UI pre-fills).
/// </summary>
internal sealed class DocumentationSchemaFilter(IOptions<JsonOptions> jsonOptions) : ISchemaFilter
{
    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (schema is not OpenApiSchema concrete)
        {
            return;
        }

        var json = jsonOptions.Value.SerializerOptions;
        var type = context.Type;
        if (type.GetCustomAttribute<DescriptionAttribute>() is { } typeDescription)
        {
            concrete.Description = typeDescription.Description;
        }

        var isDocumented = type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDocumentedExample<>));
        if (isDocumented && type.GetProperty(nameof(IDocumentedExample<>.Example), BindingFlags.Public | BindingFlags.Static) is { } example)
        {
            concrete.Examples = OpenApiSetup.ToNode(example.GetValue(null), type, json) is { } node ? [node] : null;
        }

        if (concrete.Properties is null)
        {
            return;
        }

        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var name = json.PropertyNamingPolicy?.ConvertName(property.Name) ?? property.Name;
            if (!concrete.Properties.TryGetValue(name, out var propertySchema))
            {
                continue;
            }

            var description = property.GetCustomAttribute<DescriptionAttribute>()?.Description;
            var defaultValue = property.GetCustomAttribute<DefaultValueAttribute>();
            if (propertySchema is OpenApiSchema inline)
            {
                inline.Description = description ?? inline.Description;
                if (defaultValue is not null)
                {
                    inline.Default = OpenApiSetup.ToNode(defaultValue.Value, property.PropertyType, json);
                    inline.Examples = inline.Default is { } node ? [node.DeepClone()] : null;
                }
            }
            else if (description is not null && propertySchema is OpenApiSchemaReference reference)
            {
                reference.Description = description;
            }
        }
    }
}

/// <summary>[Description] and [DefaultValue] on handler parameters become the query parameters' description and default.</summary>
internal sealed class DocumentationOperationFilter(IOptions<JsonOptions> jsonOptions) : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (operation.Parameters is null)
        {
            return;
        }

        foreach (var parameter in operation.Parameters.OfType<OpenApiParameter>())
        {
            var info = context.ApiDescription.ParameterDescriptions
                .FirstOrDefault(p => string.Equals(p.Name, parameter.Name, StringComparison.OrdinalIgnoreCase))?.ParameterDescriptor as IParameterInfoParameterDescriptor;
            if (info?.ParameterInfo is not { } clr)
            {
                continue;
            }

            parameter.Description = clr.GetCustomAttribute<DescriptionAttribute>()?.Description ?? parameter.Description;
            if (clr.GetCustomAttribute<DefaultValueAttribute>() is { } defaultValue && parameter.Schema is OpenApiSchema schema)
            {
                schema.Default = OpenApiSetup.ToNode(defaultValue.Value, defaultValue.Value?.GetType() ?? typeof(object), jsonOptions.Value.SerializerOptions);
            }
        }
    }
}

/// <summary>
/// Endpoints that need the API key say so in the document, so Swagger UI's Authorize button sends it, and declare the 401 and 403
/// <see cref="ApiKeyFilter"/> answers; every other operation says that it needs nothing (<c>security: []</c>).
/// </summary>
internal sealed class ApiKeyOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        operation.Security = [];
        if (context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<RequiresApiKeyMetadata>().Any())
        {
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(OpenApiSetup.ApiKeyScheme, context.Document)] = [] });
            CommonResponsesOperationFilter.Declare(operation, context, StatusCodes.Status401Unauthorized, typeof(HttpValidationProblemDetails));
            CommonResponsesOperationFilter.Declare(operation, context, StatusCodes.Status403Forbidden, typeof(HttpValidationProblemDetails));
        }
    }
}
