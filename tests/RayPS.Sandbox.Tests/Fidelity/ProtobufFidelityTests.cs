using System.Net.Http.Headers;
using System.Text;

namespace RayPS.Sandbox.Tests.Fidelity;

/// <summary>
/// kubectl's typed clients (create deployment, create service, ...) send protobuf. The sandbox decodes them into the
/// same object a JSON body gives: Go writes every non-pointer field, so zero values must not become fields.
/// </summary>
public sealed class ProtobufFidelityTests : SandboxTest
{
    /// <summary>A minimal protobuf writer: enough to build what Go's generated Marshal emits.</summary>
    private sealed class Proto
    {
        private readonly MemoryStream _bytes = new();

        public byte[] ToArray() => _bytes.ToArray();

        private void Varint(ulong value)
        {
            while (value >= 0x80)
            {
                _bytes.WriteByte((byte)(value | 0x80));
                value >>= 7;
            }
            _bytes.WriteByte((byte)value);
        }

        public Proto Int(int field, long value)
        {
            Varint((ulong)(field << 3));
            Varint((ulong)value);
            return this;
        }

        public Proto Bytes(int field, byte[] value)
        {
            Varint((ulong)(field << 3 | 2));
            Varint((ulong)value.Length);
            _bytes.Write(value);
            return this;
        }

        public Proto String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

        public Proto Message(int field, Proto value) => Bytes(field, value.ToArray());

        public Proto MapEntry(int field, string key, string value) => Message(field, new Proto().String(1, key).String(2, value));
    }

    // ObjectMeta as Go writes it for a new object: every string, generation 0 and an empty creationTimestamp.
    private static Proto Meta(string name, string label) => new Proto()
        .String(1, name).String(2, "").String(3, "").String(4, "").String(5, "").String(6, "").Int(7, 0)
        .Message(8, new Proto()).MapEntry(11, "app", label);

    private static byte[] Envelope(string apiVersion, string kind, Proto obj)
    {
        var unknown = new Proto()
            .Message(1, new Proto().String(1, apiVersion).String(2, kind))
            .Message(2, obj).String(3, "").String(4, "");
        return [.. "k8s\0"u8.ToArray(), .. unknown.ToArray()];
    }

    private async Task<(int Status, JsonNode? Body)> PostProtobufAsync(string path, byte[] body)
    {
        using var request = Client.Request(HttpMethod.Post, path);
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/vnd.kubernetes.protobuf");
        using var response = await Client.Http.SendAsync(request);
        return ((int)response.StatusCode, JsonText.Parse(await response.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task CreateDeploymentAsKubectlSendsIt()
    {
        // kubectl create deployment web --image=nginx --replicas=2 --port=8080
        var container = new Proto().String(1, "nginx").String(2, "nginx").String(5, "")
            .Message(6, new Proto().String(1, "").Int(2, 0).Int(3, 8080).String(4, "").String(5, ""))
            .Message(8, new Proto()).String(13, "").String(14, "").Int(16, 0).Int(17, 0).Int(18, 0).String(20, "");
        var podSpec = new Proto().Message(2, container).String(3, "").String(6, "").String(8, "").String(9, "").String(10, "").Int(11, 0);
        var spec = new Proto().Int(1, 2)
            .Message(2, new Proto().MapEntry(1, "app", "web"))
            .Message(3, new Proto().Message(1, Meta("", "web")).Message(2, podSpec))
            .Message(4, new Proto().String(1, "")).Int(5, 0).Int(7, 0);
        var deployment = new Proto().Message(1, Meta("web", "web")).Message(2, spec).Message(3, new Proto().Int(1, 0).Int(2, 0));

        var (status, body) = await PostProtobufAsync("/apis/apps/v1/namespaces/default/deployments?fieldManager=kubectl-create&fieldValidation=Strict",
            Envelope("apps/v1", "Deployment", deployment));

        Assert.True(status == 201, JsonText.Serialize(body));
        var meta = (JsonObject)body!["metadata"]!;
        Assert.Equal(["name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "labels", "managedFields"], meta.Select(p => p.Key));
        Assert.Equal(2, JsonNodes.GetInteger(body["spec"]!["replicas"]));
        Assert.Equal("RollingUpdate", JsonNodes.StringAt(body, "spec", "strategy", "type"));
        Assert.Equal("25%", JsonNodes.StringAt(body, "spec", "strategy", "rollingUpdate", "maxSurge"));
        var created = (JsonObject)body["spec"]!["template"]!["spec"]!["containers"]![0]!;
        Assert.Equal("""{"name":"nginx","image":"nginx","ports":[{"containerPort":8080,"protocol":"TCP"}],"resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"Always"}""",
            JsonText.Serialize(created));
        Assert.Null(body["spec"]!["paused"]);
        Assert.Null(body["spec"]!["minReadySeconds"]);
    }

    [Fact]
    public async Task CreateServiceWithAnIntOrStringTargetPort()
    {
        // kubectl create service clusterip web --tcp=80:http
        var port = new Proto().String(1, "80-http").String(2, "TCP").Int(3, 80)
            .Message(4, new Proto().Int(1, 1).Int(2, 0).String(3, "http")).Int(5, 0);
        var spec = new Proto().Message(1, port).MapEntry(2, "app", "web").String(3, "").String(4, "ClusterIP").String(7, "").String(8, "")
            .String(10, "").String(11, "").Int(12, 0).Int(13, 0);
        var service = new Proto().Message(1, Meta("web", "web")).Message(2, spec).Message(3, new Proto());

        var (status, body) = await PostProtobufAsync("/api/v1/namespaces/default/services", Envelope("v1", "Service", service));

        Assert.True(status == 201, JsonText.Serialize(body));
        var ports = JsonText.Serialize(body!["spec"]!["ports"]);
        Assert.Equal("""[{"name":"80-http","protocol":"TCP","port":80,"targetPort":"http"}]""", ports);
        Assert.StartsWith("10.96.", JsonNodes.StringAt(body, "spec", "clusterIP"));
        Assert.Equal("None", JsonNodes.StringAt(body, "spec", "sessionAffinity"));
    }
}
