using System.Text;
using System.Text.Json.Nodes;
using RayPS.Sandbox.Http;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Store;

namespace RayPS.Sandbox.Api;

/// <summary>Writes answers with the headers kube-apiserver sends.</summary>
internal static class ApiResponses
{
    public const string Json = "application/json";

    public static Task WriteJsonAsync(HttpResponse response, int status, JsonNode body, IEnumerable<string>? warnings = null, string contentType = Json)
    {
        response.StatusCode = status;
        response.Headers["Cache-Control"] = "no-cache, private";
        response.Headers["Content-Type"] = contentType;
        AddWarnings(response, warnings);
        return response.WriteAsync(JsonText.SerializeToUtf8(body));
    }

    /// <summary>An answer whose JSON is already written (with its trailing newline).</summary>
    public static Task WriteJsonAsync(HttpResponse response, int status, byte[] json, IEnumerable<string>? warnings = null)
    {
        response.StatusCode = status;
        response.Headers["Cache-Control"] = "no-cache, private";
        response.Headers["Content-Type"] = Json;
        AddWarnings(response, warnings);
        return response.WriteAsync(json);
    }

    public static Task WriteStatusAsync(HttpResponse response, ApiException error)
    {
        if (error.Code == 403)
        {
            response.Headers["X-Content-Type-Options"] = "nosniff";
        }
        if (error.Details?.RetryAfterSeconds is > 0 and var retry)
        {
            response.Headers["Retry-After"] = retry.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return WriteJsonAsync(response, error.Code, error.ToStatus());
    }

    /// <summary>The plain-text 404 of a path no API serves (e.g. a group whose CRD is absent).</summary>
    public static Task WriteNotFoundPageAsync(HttpResponse response)
    {
        response.StatusCode = 404;
        response.Headers["Cache-Control"] = "no-cache, private";
        response.Headers["X-Content-Type-Options"] = "nosniff";
        return response.WriteAsync("404 page not found\n", "text/plain; charset=utf-8");
    }

    public static void AddWarnings(HttpResponse response, IEnumerable<string>? warnings)
    {
        if (warnings is null)
        {
            return;
        }
        foreach (var warning in warnings.Distinct(StringComparer.Ordinal))
        {
            response.Headers.Add("Warning", "299 - " + QuoteWarning(warning));
        }
    }

    private static string QuoteWarning(string text)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in text)
        {
            if (c is '"' or '\\')
            {
                sb.Append('\\');
            }
            sb.Append(c);
        }
        return sb.Append('"').ToString();
    }
}
