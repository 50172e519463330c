using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace RayPS.Sandbox.Tests.Infrastructure;

/// <summary>An HttpClient that trusts one sandbox's CA and talks HTTP/1.1 to it.</summary>
public sealed class SandboxClient : IDisposable
{
    private readonly HttpClient _http;

    public SandboxClient(KubeSandbox sandbox, string? token = null)
    {
        Sandbox = sandbox;
        var ca = X509Certificate2.CreateFromPem(sandbox.CertificateAuthorityPem);
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, cert, _, _) =>
                {
                    if (cert is null)
                    {
                        return false;
                    }
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return chain.Build(cert as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(cert.GetRawCertData()));
                },
            },
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        _http = new HttpClient(handler) { BaseAddress = sandbox.Uri, Timeout = TimeSpan.FromSeconds(60) };
        Token = token ?? sandbox.AdminToken;
    }

    public KubeSandbox Sandbox { get; }

    /// <summary>Bearer token sent by the helpers (null = none).</summary>
    public string? Token { get; set; }

    public HttpClient Http => _http;

    public HttpRequestMessage Request(HttpMethod method, string path, string? body = null, string? contentType = "application/json", string? token = "")
    {
        var request = new HttpRequestMessage(method, path) { Version = new Version(1, 1) };
        request.Headers.Accept.ParseAdd("application/json");
        var auth = token == "" ? Token : token;
        if (auth is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", auth);
        }
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = contentType is null ? null : MediaTypeHeaderValue.Parse(contentType);
        }
        return request;
    }

    public async Task<(int Status, JsonNode? Body, HttpResponseMessage Response)> SendAsync(HttpMethod method, string path, string? body = null,
        string? contentType = "application/json", string? token = "")
    {
        var response = await _http.SendAsync(Request(method, path, body, contentType, token));
        var text = await response.Content.ReadAsStringAsync();
        JsonNode? parsed = null;
        if (text.Length > 0)
        {
            try
            {
                parsed = JsonText.Parse(text);
            }
            catch (FormatException)
            {
                parsed = JsonValue.Create(text);
            }
        }
        return ((int)response.StatusCode, parsed, response);
    }

    public Task<(int Status, JsonNode? Body, HttpResponseMessage Response)> GetAsync(string path) => SendAsync(HttpMethod.Get, path);

    public Task<(int Status, JsonNode? Body, HttpResponseMessage Response)> PostAsync(string path, JsonNode body) =>
        SendAsync(HttpMethod.Post, path, JsonText.Serialize(body));

    public Task<(int Status, JsonNode? Body, HttpResponseMessage Response)> PatchAsync(string path, string contentType, string body) =>
        SendAsync(HttpMethod.Patch, path, body, contentType);

    /// <summary>Every value of a response header (content headers included), unparsed.</summary>
    public static IReadOnlyList<string> HeaderValues(HttpResponseMessage response, string name)
    {
        var values = new List<string>();
        if (response.Headers.NonValidated.TryGetValues(name, out var h))
        {
            values.AddRange(h);
        }
        if (response.Content.Headers.NonValidated.TryGetValues(name, out var c))
        {
            values.AddRange(c);
        }
        return values;
    }

    public void Dispose() => _http.Dispose();
}
