using System.Text;
using System.Text.Json;
using RnnLm.Api.Infrastructure;

namespace RnnLm.Api.Jobs;

/// <summary>
/// Reads a job sent as multipart/form-data: files <c>train</c> and <c>valid</c>, settings as JSON in the field <c>settings</c>.
/// A form that cannot be parsed is the client's error (400 naming what is wrong); a server that cannot buffer it is not (507/503).
/// </summary>
internal static class JobUpload
{
    private const string Unnamed = "A part has no name: give each part Content-Disposition: form-data; name=\"train\" (or valid, or settings).";
    private const string TemporaryFolder = "the server's temporary folder (ASPNETCORE_TEMP, else TMPDIR)";

    /// <summary>The settings and the lines of the train and valid files of a multipart/form-data submission; nulls, with errors, when it cannot be read.</summary>
    /// <exception cref="StorageUnavailableException">The server cannot buffer the upload (its temporary folder is full or unwritable).</exception>
    public static async Task<(JobRequest? Job, IReadOnlyList<string>? Train, IReadOnlyList<string>? Valid)> ReadAsync(HttpRequest request, JsonSerializerOptions json, ValidationErrors errors)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(errors);
        if (await ReadFormAsync(request, errors) is not { } form)
        {
            return (null, null, null);
        }

        foreach (var key in form.Keys.Where(k => k != "settings"))
        {
            errors.Add(key.Length == 0 ? "body" : key, key.Length == 0 ? Unnamed : "Is not a known field; send train and valid as files and everything else as JSON in the field settings.");
        }

        foreach (var file in form.Files.Where(f => f.Name is not ("train" or "valid")))
        {
            errors.Add(file.Name.Length == 0 ? "body" : file.Name, file.Name.Length == 0 ? Unnamed : "Is not a known file field; the file fields are train and valid.");
        }

        JobRequest? job = new();
        if (form.TryGetValue("settings", out var settings))
        {
            // The form reader decodes a field's bytes as UTF-8 and puts U+FFFD for any that are not: the text is no longer what was sent.
            if (settings.ToString().Contains('\uFFFD', StringComparison.Ordinal))
            {
                errors.Add("settings", "Holds bytes that are not UTF-8 (or the character U+FFFD): send the settings as UTF-8 JSON, writing U+FFFD as \\uFFFD if you mean it.");
                return (null, null, null);
            }

            try
            {
                job = JsonSerializer.Deserialize<JobRequest>(settings.ToString(), json);
            }
            catch (JsonException e)
            {
                throw new BadHttpRequestException("The settings field is not valid JSON.", StatusCodes.Status400BadRequest, e);
            }

            if (job is null)
            {
                errors.Add("settings", "Must be a JSON object.");
                return (null, null, null);
            }

            if (job.Train is not null || job.Valid is not null)
            {
                errors.Add("settings", "Send train and valid as files, not inside settings.");
            }
        }

        var train = await ReadLinesAsync(form.Files.GetFile("train"), "train", errors);
        var valid = await ReadLinesAsync(form.Files.GetFile("valid"), "valid", errors);
        return (job, train, valid);
    }

    // The lines of an uploaded file, which must be UTF-8; blank lines are skipped, as the command line does.
    private static async Task<IReadOnlyList<string>?> ReadLinesAsync(IFormFile? file, string field, ValidationErrors errors)
    {
        if (file is null)
        {
            return null;
        }

        using var reader = new StreamReader(file.OpenReadStream(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true));
        var lines = new List<string>();
        try
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                if (!string.IsNullOrWhiteSpace(line))
                {
                    lines.Add(line);
                }
            }
        }
        catch (DecoderFallbackException)
        {
            errors.Add(field, $"Is not UTF-8 text (line {lines.Count + 1}).");
            return null;
        }

        return lines;
    }

    // Everything the form reader throws about the body itself becomes a field error; a failing disk under its buffer, or a body
    // above the limit, keeps its own answer.
    private static async Task<IFormCollection?> ReadFormAsync(HttpRequest request, ValidationErrors errors)
    {
        try
        {
            return await request.ReadFormAsync(request.HttpContext.RequestAborted);
        }
        catch (InvalidDataException e) when (e.Message.StartsWith("Multipart body length limit", StringComparison.Ordinal))
        {
            throw new BadHttpRequestException(e.Message, StatusCodes.Status413PayloadTooLarge, e);
        }
        catch (InvalidDataException e)
        {
            var (field, message) = Describe(e.Message);
            errors.Add(field, message);
        }
        catch (IOException e) when (e is not BadHttpRequestException && Storage.IsOperatingSystemError(e))
        {
            // Large uploads are buffered in a temporary file: the server's disk failed, not the client's form.
            throw Storage.Translate(e, "The upload cannot be buffered", TemporaryFolder)!;
        }
        catch (IOException e) when (e is not BadHttpRequestException)
        {
            errors.Add("body", "The multipart body ends before its closing boundary line (--BOUNDARY--): it was cut short, or the boundary in Content-Type "
                + "is not the one the body uses. Send the whole form.");
        }

        return null;
    }

    // The form reader's complaints (InvalidDataException messages), said in terms of what to send instead.
    private static (string Field, string Message) Describe(string problem) => problem switch
    {
        _ when problem.StartsWith("Missing content-type boundary", StringComparison.Ordinal) =>
            ("Content-Type", "multipart/form-data needs a boundary parameter (multipart/form-data; boundary=...) naming the line that separates the parts; "
                + "curl -F and the form classes of HTTP clients set it for you."),
        _ when problem.Contains("boundary length limit", StringComparison.Ordinal) =>
            ("Content-Type", $"The multipart boundary is longer than this server accepts ({problem.TrimEnd('.')}); RFC 2046 allows 70 characters."),
        _ when problem.StartsWith("Form section has invalid Content-Disposition", StringComparison.Ordinal) => ("body", Unnamed),
        _ when problem.Contains("header", StringComparison.OrdinalIgnoreCase) || problem.StartsWith("Line length limit", StringComparison.Ordinal) =>
            ("body", "A part's headers are too many or too long; a part needs only Content-Disposition (and Content-Type)."),
        _ when problem.StartsWith("Form ", StringComparison.Ordinal) => ("body", "The form has too many fields or too long a field name; the fields are train, valid and settings."),
        _ => ("body", $"The multipart body is malformed: {problem}"),
    };
}
