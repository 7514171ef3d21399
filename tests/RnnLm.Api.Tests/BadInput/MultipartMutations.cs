namespace RnnLm.Api.Tests.BadInput;

/// <summary>Mutations of a multipart/form-data body's framing and parts.</summary>
internal static class MultipartMutations
{
    public static IEnumerable<Mutation> All()
    {
        static bool IsMultipart(Draft d) => d.HasMultipartBody;
        static bool HasFile(Draft d) => d.HasMultipartBody && d.Parts.Any(p => p.FileName is not null);
        yield return new("multipart: no boundary", IsMultipart, (d, _, _) =>
        {
            d.ContentType = "multipart/form-data";
            Mutation.Tag(d, "header:Content-Type", "multipart: no boundary", "Content-Type: multipart/form-data", true);
        });
        yield return new("multipart: wrong boundary", IsMultipart, (d, _, _) =>
        {
            d.ContentType = "multipart/form-data; boundary=other";
            Mutation.Tag(d, "header:Content-Type", "multipart: wrong boundary", "boundary=other", true);
        });
        yield return new("multipart: boundary too long", IsMultipart, (d, r, _) =>
        {
            int[] lengths = [71, 200, 5_000];
            var length = Mutation.Pick(r, lengths);
            d.Boundary = new string('b', length);
            d.ContentType = $"multipart/form-data; boundary={d.Boundary}";
            Mutation.Tag(d, "header:Content-Type", "multipart: boundary too long", $"{length:N0} characters (RFC 2046: at most 70)", false);
        });
        yield return new("multipart: quoted boundary", IsMultipart, (d, _, _) =>
        {
            d.ContentType = $"multipart/form-data; boundary=\"{d.Boundary}\"";
            Mutation.Tag(d, "header:Content-Type", "multipart: quoted boundary", "boundary=\"...\"", false);
        });
        yield return new("multipart: unknown part", IsMultipart, (d, r, _) =>
        {
            var file = r.Next(2) == 0;
            d.Parts.Insert(r.Next(d.Parts.Count + 1), new FormPart("name=\"bogus\"", file ? "bogus.txt" : null, "1"));
            Mutation.Tag(d, "body#unknown-part", "multipart: unknown part", file ? "a file bogus" : "a field bogus", false);
        });
        yield return new("multipart: repeated part", d => d.HasMultipartBody && d.Parts.Count > 0, (d, r, _) =>
        {
            var part = Mutation.Pick(r, d.Parts);
            d.Parts.Add(new FormPart(part.Disposition, part.FileName, part.Content));
            Mutation.Tag(d, "body#repeated-part", "multipart: repeated part", part.Disposition ?? "(no disposition)", false);
        });
        yield return new("multipart: odd disposition", d => d.HasMultipartBody && d.Parts.Count > 0, (d, r, _) =>
        {
            string?[] dispositions = [null, "filename=\"x.txt\"", "name=train", "name=\"tr\"ain\"", "name=\"train\u0000\"", "name=\"\"", "name=\"" + new string('n', 5000) + "\""];
            var disposition = Mutation.Pick(r, dispositions);
            var index = r.Next(d.Parts.Count);
            d.Parts[index].Disposition = disposition;
            Mutation.Tag(d, $"body#part{index}", "multipart: odd disposition", disposition is null ? "none" : disposition.Length > 60 ? "a 5,000-character name" : disposition.Replace("\u0000", "\\u0000", StringComparison.Ordinal), false);
        });
        yield return new("multipart: settings not JSON", d => d.HasMultipartBody && d.Parts.Any(p => p.FileName is null && p.Content is null), (d, r, _) =>
        {
            string[] texts = ["not json {", "", "{\"hidden\": ", "[1, 2]", "\u00ff"];
            var text = Mutation.Pick(r, texts);
            d.Parts.First(p => p.FileName is null && p.Content is null).Content = text;
            d.Json = null;
            Mutation.Tag(d, "settings", "multipart: settings not JSON", text, true);
        });
        yield return new("multipart: file not UTF-8", HasFile, (d, r, _) =>
        {
            var part = Mutation.Pick(r, d.Parts.Where(p => p.FileName is not null).ToArray());
            part.Content = "the cat sat .\nthe " + InvalidUtf8.Marker(r.Next(InvalidUtf8.Count)) + " dog sat .\n";
            Mutation.Tag(d, $"body#{part.Disposition}", "multipart: file not UTF-8", part.Disposition ?? "", false);
        });
        yield return new("multipart: huge file", HasFile, (d, r, c) =>
        {
            var size = c.SizeNearALimit(r);
            var part = Mutation.Pick(r, d.Parts.Where(p => p.FileName is not null).ToArray());
            part.Content = string.Concat(Enumerable.Repeat("the cat sat on the mat .\n", size / 25 + 1))[..size];
            Mutation.Tag(d, $"body#{part.Disposition}", "multipart: huge file", $"{size:N0} bytes", false);
        });
        yield return new("multipart: empty or blank file", HasFile, (d, r, _) =>
        {
            string[] contents = ["", "\n\n\n", "   \r\n\t\n", "\u0000\u0000"];
            var content = Mutation.Pick(r, contents);
            var part = Mutation.Pick(r, d.Parts.Where(p => p.FileName is not null).ToArray());
            part.Content = content;
            Mutation.Tag(d, $"body#{part.Disposition}", "multipart: empty or blank file", $"{content.Length} characters", false);
        });
    }
}
