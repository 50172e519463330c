using System.Text.Json.Nodes;
using RayPS.Sandbox.Json;
using RayPS.Sandbox.Patch;
using RayPS.Sandbox.Resources;

namespace RayPS.Sandbox.Store;

/// <summary>
/// The sandbox's etcd plus registry layer: objects by resource, a global resourceVersion counter, a
/// bounded event history for watches, and create/update/patch/delete with the apiserver's semantics
/// (defaulting, admission, validation, generation, managedFields, dry-run, finalizers).
/// In-process callers (controllers, tests) use the same operations the HTTP API uses; failures are
/// <see cref="ApiException"/>s carrying the Status the server would return.
/// </summary>
public sealed partial class ObjectStore
{
    /// <summary>The manager name used for in-process writes that do not name one.</summary>
    public const string DefaultManager = "sandbox";

    private readonly object _gate = new();
    private readonly Dictionary<string, ResourceBucket> _data = new(StringComparer.Ordinal);
    private readonly WatchHistory _history = new();
    private readonly List<StoreSubscription> _subscribers = [];
    private long _resourceVersion;

    // Reused under the lock to serialise each committed version.
    private readonly System.Text.StringBuilder _json = new();

    internal ObjectStore(ResourceRegistry registry)
    {
        Registry = registry;
        _resourceVersion = 100;
    }

    internal ResourceRegistry Registry { get; }

    /// <summary>Draws generateName suffixes; seeded by the sandbox so a seed reproduces names (null: cryptographic randomness).</summary>
    internal Random? NameRandom { get; set; }

    /// <summary>How many past events watches can resume from; older resourceVersions get 410 Gone.</summary>
    public int HistoryLimit
    {
        get => _history.CountLimit;
        set => _history.CountLimit = value;
    }

    /// <summary>How many bytes of past objects' JSON the event history keeps at most; older resourceVersions get 410 Gone.</summary>
    public long HistoryByteLimit
    {
        get => _history.ByteLimit;
        set => _history.ByteLimit = value;
    }

    /// <summary>The latest committed resourceVersion.</summary>
    public long ResourceVersion
    {
        get
        {
            lock (_gate)
            {
                return _resourceVersion;
            }
        }
    }

    // ---- reads -------------------------------------------------------------------------------

    /// <summary>Gets one object in the requested version; 404 when missing.</summary>
    public JsonObject Get(Gvr gvr, string? ns, string name)
    {
        var type = Resolve(gvr);
        return ToVersion(type, GetStored(type, ns, name).Object, gvr.Version);
    }

    /// <summary>The committed version of an object (404 when missing); safe to read without the lock.</summary>
    internal StoredObject GetStored(ResourceType type, string? ns, string name)
    {
        lock (_gate)
        {
            return FindStored(type, ns, name) ?? throw NotFound(type, name);
        }
    }

    public JsonObject? TryGet(Gvr gvr, string? ns, string name)
    {
        var type = Resolve(gvr);
        StoredObject? stored;
        lock (_gate)
        {
            stored = FindStored(type, ns, name);
        }
        return stored is null ? null : ToVersion(type, stored.Object, gvr.Version);
    }

    /// <summary>The items of <see cref="List"/>.</summary>
    public IReadOnlyList<JsonObject> ListItems(Gvr gvr, string? ns, ListOptions? options = null)
    {
        var page = ListStored(gvr, ns, options ?? new ListOptions());
        return page.Items.Select(s => ToVersion(page.Type, s.Object, gvr.Version)).ToList();
    }

    // ---- writes ------------------------------------------------------------------------------

    /// <summary>Creates an object (namespace taken from its metadata for namespaced resources).</summary>
    public JsonObject Create(Gvr gvr, JsonObject obj, WriteOptions? options = null) =>
        Create(gvr, JsonNodes.StringAt(obj, "metadata", "namespace"), obj, options).Object;

    /// <summary>Replaces an object (PUT semantics, including the resourceVersion precondition).</summary>
    public JsonObject Update(Gvr gvr, JsonObject obj, WriteOptions? options = null) =>
        Update(gvr, JsonNodes.StringAt(obj, "metadata", "namespace"), ObjectMeta.Name(obj), obj, options, null).Object;

    /// <summary>Replaces only the status of an object (PUT .../status).</summary>
    public JsonObject UpdateStatus(Gvr gvr, JsonObject obj, WriteOptions? options = null) =>
        Update(gvr, JsonNodes.StringAt(obj, "metadata", "namespace"), ObjectMeta.Name(obj), obj, options, "status").Object;

    /// <summary>Patches an object or its status; <paramref name="patch"/> is JSON (or YAML for apply).</summary>
    public JsonObject Patch(Gvr gvr, string? ns, string name, PatchType patchType, string patch, PatchOptions? options = null, string? subresource = null) =>
        Patch(gvr, ns, name, patchType, System.Text.Encoding.UTF8.GetBytes(patch), options ?? new PatchOptions(), subresource).Object;

    /// <summary>Deletes an object; returns the object (with deletionTimestamp if finalizers remain) or a Status.</summary>
    public JsonObject Delete(Gvr gvr, string? ns, string name, DeleteOptions? options = null) =>
        DeleteCore(Resolve(gvr), gvr.Version, ns, name, options ?? new DeleteOptions());

    /// <summary>
    /// Result of a write: the object as returned to the client and whether it was created. A committed object is copied only
    /// when <see cref="Object"/> is read; the HTTP layer writes <see cref="Stored"/>'s JSON instead when it can.
    /// </summary>
    internal sealed class WriteResult
    {
        private readonly ResourceType _type;
        private readonly string _version;
        private JsonObject? _object;

        public WriteResult(JsonObject obj, bool created)
        {
            _object = obj;
            Created = created;
            _type = null!;
            _version = "";
        }

        public WriteResult(ResourceType type, StoredObject stored, string version, bool created)
        {
            _type = type;
            _version = version;
            Stored = stored;
            Created = created;
        }

        public bool Created { get; }

        /// <summary>The committed version returned as it is (null for dry runs and Status answers).</summary>
        public StoredObject? Stored { get; }

        public JsonObject Object => _object ??= ToVersion(_type, Stored!.Object, _version);
    }

    internal WriteResult Create(Gvr gvr, string? ns, JsonObject obj, WriteOptions? options)
    {
        var type = Resolve(gvr);
        options ??= new WriteOptions();
        lock (_gate)
        {
            return CreateLocked(type, gvr.Version, ns, (JsonObject)obj.DeepClone(), options, ManagerFor(options), trackFields: true);
        }
    }

    internal WriteResult Update(Gvr gvr, string? ns, string name, JsonObject obj, WriteOptions? options, string? subresource)
    {
        var type = Resolve(gvr);
        options ??= new WriteOptions();
        lock (_gate)
        {
            return UpdateLocked(type, gvr.Version, ns, name, (JsonObject)obj.DeepClone(), options, subresource, ManagerFor(options), applied: false);
        }
    }

    private static string ManagerFor(WriteOptions options) => string.IsNullOrEmpty(options.FieldManager) ? DefaultManager : options.FieldManager;

    private WriteResult CreateLocked(ResourceType type, string version, string? ns, JsonObject obj, WriteOptions options, string manager, bool trackFields)
    {
        if (type.Terminating)
        {
            throw new ApiException(405, "MethodNotAllowed", "create not allowed while custom resource definition is terminating",
                new StatusDetails(Group: type.Group, Kind: type.Resource));
        }
        var ctx = Context(type, version, options.DryRun);
        Ingest(type, version, obj, options);
        ns = CheckNamespace(type, ns, obj);
        var meta = ObjectMeta.Meta(obj);
        if (type.Namespaced)
        {
            RequireActiveNamespace(ns!);
        }
        if (string.IsNullOrEmpty(JsonNodes.GetString(meta["name"])) && JsonNodes.GetString(meta["generateName"]) is { Length: > 0 } prefix)
        {
            string candidate;
            do
            {
                candidate = prefix + RandomNames.Suffix(NameRandom);
            }
            while (Find(type, ns, candidate) is not null);
            meta["name"] = candidate;
            ctx.NameGenerated = true;
        }
        var appliedFields = trackFields ? null : meta["managedFields"]?.DeepClone();
        foreach (var field in new[] { "uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink", "generation", "managedFields" })
        {
            meta.Remove(field);
        }
        if (appliedFields is not null)
        {
            meta["managedFields"] = appliedFields;
        }
        type.Strategy.PrepareForCreate(ctx, obj);
        type.Strategy.Admit(ctx, obj, null);
        var errs = type.Strategy.Validate(ctx, obj);
        if (errs.Count > 0)
        {
            throw InvalidError(type, ObjectMeta.Name(obj), errs);
        }
        if (options.Admission?.Invoke(type, obj) is { } refused)
        {
            throw refused;
        }
        var name = ObjectMeta.Name(obj);
        if (Find(type, ns, name) is not null)
        {
            throw ApiErrors.AlreadyExists(type.Resource, type.Group, name);
        }
        meta["uid"] = Guid.NewGuid().ToString();
        meta["creationTimestamp"] = Now();
        if (type.Strategy.TracksGeneration)
        {
            meta["generation"] = 1L;
        }
        if (trackFields)
        {
            ManagedFields.TrackUpdate(null, obj, manager, type.ApiVersion(version), null, type.TypeInfo(version), MainFields(type), Now());
        }
        Canonicalize(type, obj);
        if (options.DryRun)
        {
            return new WriteResult(ToVersion(type, obj, version), true);
        }
        var stored = Commit(type, ns, obj, WatchEvent.Added);
        AfterCommit(type, WatchEvent.Added, stored.Object, null);
        return new WriteResult(type, stored, version, true);
    }

    private WriteResult UpdateLocked(ResourceType type, string version, string? ns, string name, JsonObject obj, WriteOptions options,
        string? subresource, string manager, bool applied)
    {
        var ctx = Context(type, version, options.DryRun);
        var existingStored = FindStored(type, ns, name);
        var existing = existingStored?.Object;
        Ingest(type, version, obj, options);
        if (existing is null)
        {
            if (subresource is null && type.Strategy.AllowCreateOnUpdate)
            {
                return CreateLocked(type, version, ns, obj, options, manager, trackFields: true);
            }
            throw NotFound(type, name);
        }
        CheckNamespace(type, ns, obj);
        var bodyName = ObjectMeta.Name(obj);
        if (bodyName.Length > 0 && bodyName != name)
        {
            throw ApiErrors.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
        }
        ObjectMeta.Meta(obj)["name"] = name;
        var rv = ObjectMeta.ResourceVersion(obj);
        if (rv.Length == 0)
        {
            if (!type.Strategy.AllowUnconditionalUpdate && !applied)
            {
                throw ApiErrors.Invalid(type.Resource, type.Group, name,
                    [FieldError.Invalid("metadata.resourceVersion", JsonValue.Create(0L), "must be specified for an update")]);
            }
        }
        else if (rv != ObjectMeta.ResourceVersion(existing))
        {
            throw ApiErrors.Conflict(type.Resource, type.Group, name, ApiErrors.ModifiedConflict);
        }
        JsonObject updated;
        if (subresource == "status")
        {
            updated = (JsonObject)existing.DeepClone();
            if (obj["status"] is { } status)
            {
                updated["status"] = status.DeepClone();
            }
            else
            {
                updated.Remove("status");
            }
            if (type.Strategy is WorkloadStrategy { AnnotationsBumpGeneration: true } && obj["metadata"]?["annotations"] is { } annotations)
            {
                ObjectMeta.Meta(updated)["annotations"] = annotations.DeepClone();
            }
            if (applied)
            {
                ObjectMeta.Meta(updated)["managedFields"] = obj["metadata"]?["managedFields"]?.DeepClone();
            }
        }
        else
        {
            updated = obj;
            type.Strategy.PrepareForUpdate(ctx, updated, existing);
            var meta = ObjectMeta.Meta(updated);
            var oldMeta = ObjectMeta.Meta(existing);
            foreach (var field in new[] { "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "selfLink" })
            {
                if (oldMeta[field] is { } value)
                {
                    meta[field] = value.DeepClone();
                }
                else
                {
                    meta.Remove(field);
                }
            }
            if (!applied)
            {
                meta.Remove("managedFields");
                if (oldMeta["managedFields"] is { } mf)
                {
                    meta["managedFields"] = mf.DeepClone();
                }
            }
            type.Strategy.Admit(ctx, updated, existing);
        }
        var errs = type.Strategy.ValidateUpdate(ctx, updated, existing);
        if (errs.Count > 0)
        {
            throw InvalidError(type, name, errs);
        }
        if (options.Admission?.Invoke(type, updated) is { } refused)
        {
            throw refused;
        }
        if (type.Strategy.TracksGeneration && GenerationChanged(type, updated, existing))
        {
            ObjectMeta.Meta(updated)["generation"] = ObjectMeta.Generation(existing) + 1;
        }
        if (!applied)
        {
            var include = subresource == "status" ? (Func<string, bool>)(k => k == "status") : MainFields(type);
            ManagedFields.TrackUpdate(existing, updated, manager, type.ApiVersion(version), subresource, type.TypeInfo(version), include, Now());
        }
        ObjectMeta.Meta(updated)["resourceVersion"] = ObjectMeta.ResourceVersion(existing);
        Canonicalize(type, updated);
        if (JsonNodes.DeepEquals(updated, existing))
        {
            return new WriteResult(type, existingStored!, version, false);
        }
        if (options.DryRun)
        {
            return new WriteResult(ToVersion(type, updated, version), false);
        }
        var eventType = IsFinalized(type, updated) ? WatchEvent.Deleted : WatchEvent.Modified;
        var stored = Commit(type, ns, updated, eventType);
        AfterCommit(type, eventType, stored.Object, existing);
        return new WriteResult(type, stored, version, false);
    }

    private static bool GenerationChanged(ResourceType type, JsonObject updated, JsonObject existing)
    {
        static JsonObject Strip(JsonObject o, ResourceType type)
        {
            var copy = new JsonObject();
            foreach (var (key, value) in o)
            {
                if (key is "metadata" or "apiVersion" or "kind" || (key == "status" && type.HasStatus))
                {
                    continue;
                }
                copy[key] = value?.DeepClone();
            }
            return copy;
        }
        if (!JsonNodes.DeepEquals(Strip(updated, type), Strip(existing, type)))
        {
            return true;
        }
        if (type.Strategy is WorkloadStrategy { AnnotationsBumpGeneration: true } &&
            !JsonNodes.DeepEquals(ObjectMeta.Annotations(updated), ObjectMeta.Annotations(existing)))
        {
            return true;
        }
        return ObjectMeta.DeletionTimestamp(updated) is not null && ObjectMeta.DeletionTimestamp(existing) is null;
    }

    /// <summary>A deleted object whose finalizers (and, for namespaces, spec.finalizers) are all gone.</summary>
    private static bool IsFinalized(ResourceType type, JsonObject obj) =>
        ObjectMeta.DeletionTimestamp(obj) is not null && ObjectMeta.Finalizers(obj).Count == 0 &&
        (type.StorageKey != "/namespaces" || JsonNodes.At(obj, "spec", "finalizers") is not JsonArray { Count: > 0 });

    /// <summary>Top-level fields a main-resource write owns (status belongs to the status subresource).</summary>
    private static Func<string, bool> MainFields(ResourceType type) => key => key != "status" || !type.HasStatus;

    // ---- helpers -----------------------------------------------------------------------------

    private StrategyContext Context(ResourceType type, string version, bool dryRun) =>
        new() { Store = this, Type = type, Version = version, DryRun = dryRun };

    internal ResourceType Resolve(Gvr gvr) =>
        Registry.Find(gvr.Group, gvr.Version, gvr.Resource)
        ?? throw new ApiException(404, "NotFound", $"the server could not find the requested resource ({gvr})", new StatusDetails());

    private static ApiException NotFound(ResourceType type, string name) => ApiErrors.NotFound(type.Resource, type.Group, name);

    private static ApiException InvalidError(ResourceType type, string name, List<FieldError> errs) =>
        ApiErrors.Invalid(type.Kind, type.Group, name, errs);

    internal static string Now() => ObjectMeta.Timestamp(DateTimeOffset.UtcNow);

    private static string Rv(long rv) => rv.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Key(ResourceType type, string? ns, string name) => type.Namespaced ? (ns ?? "") + "/" + name : name;

    /// <summary>The namespace an object of <paramref name="type"/> is filed under (null for cluster-scoped resources).</summary>
    private static string? BucketNamespace(ResourceType type, string? ns) => type.Namespaced ? ns ?? "" : null;

    private ResourceBucket Bucket(ResourceType type)
    {
        if (!_data.TryGetValue(type.StorageKey, out var bucket))
        {
            bucket = new ResourceBucket();
            _data[type.StorageKey] = bucket;
        }
        return bucket;
    }

    private StoredObject? FindStored(ResourceType type, string? ns, string name) => Bucket(type).Find(BucketNamespace(type, ns), name);

    private JsonObject? Find(ResourceType type, string? ns, string name) => FindStored(type, ns, name)?.Object;

    private IEnumerable<StoredObject> Scan(ResourceType type, string? ns)
    {
        var bucket = Bucket(type);
        return !type.Namespaced || ns is null ? bucket.All() : bucket.InNamespace(ns);
    }

    /// <summary>Stored objects of a resource; callers hold the store lock (strategies, controllers' snapshots) and must not mutate them.</summary>
    internal IEnumerable<JsonObject> ScanStorage(Gvr gvr) => Scan(Resolve(gvr), null).Select(s => s.Object);

    /// <summary>
    /// A copy of an object in the requested version. Stored objects (and the objects a write is about to store) are already
    /// in output key order, and setting an existing key keeps its place, so only apiVersion can differ.
    /// </summary>
    private static JsonObject ToVersion(ResourceType type, JsonObject stored, string version)
    {
        var copy = (JsonObject)stored.DeepClone();
        if (version != type.StorageVersion)
        {
            copy["apiVersion"] = type.ApiVersion(version);
        }
        return copy;
    }

    // Stored objects always carry the storage version and kind, in output key order.
    private static void Canonicalize(ResourceType type, JsonObject obj)
    {
        obj["apiVersion"] = type.ApiVersion(type.StorageVersion);
        obj["kind"] = type.Kind;
        Serialization.Arrange(type, obj);
    }

    private string? CheckNamespace(ResourceType type, string? ns, JsonObject obj)
    {
        var meta = ObjectMeta.Meta(obj);
        if (!type.Namespaced)
        {
            meta.Remove("namespace");
            return null;
        }
        var bodyNs = JsonNodes.GetString(meta["namespace"]);
        if (string.IsNullOrEmpty(ns))
        {
            ns = string.IsNullOrEmpty(bodyNs) ? "default" : bodyNs;
        }
        if (!string.IsNullOrEmpty(bodyNs) && bodyNs != ns)
        {
            throw ApiErrors.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }
        meta["namespace"] = ns;
        return ns;
    }

    private void RequireActiveNamespace(string ns)
    {
        var nsType = Registry.Find("", "v1", "namespaces")!;
        var namespaceObj = Find(nsType, null, ns) ?? throw ApiErrors.NotFound("namespaces", "", ns);
        if (ObjectMeta.DeletionTimestamp(namespaceObj) is not null || JsonNodes.StringAt(namespaceObj, "status", "phase") == "Terminating")
        {
            throw new ApiException(403, "Forbidden",
                $"unable to create new content in namespace {ns} because it is being terminated",
                new StatusDetails(Name: ns, Kind: "namespaces",
                    Causes: [new StatusCause("NamespaceTerminating", $"namespace {ns} is being terminated", "metadata.namespace")]));
        }
    }

    /// <summary>Decoding-time work: strict/warn handling of unknown and duplicate fields, then defaulting.</summary>
    private static void Ingest(ResourceType type, string version, JsonObject obj, WriteOptions options)
    {
        var apiVersion = JsonNodes.GetString(obj["apiVersion"]);
        var expected = type.ApiVersion(version);
        if (!string.IsNullOrEmpty(apiVersion) && apiVersion != expected && !(type.IsCustom && type.Versions.Contains(apiVersion.Split('/')[^1]) && apiVersion.StartsWith(type.Group + "/", StringComparison.Ordinal)))
        {
            throw ApiErrors.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({expected})");
        }
        var kind = JsonNodes.GetString(obj["kind"]);
        if (!string.IsNullOrEmpty(kind) && kind != type.Kind)
        {
            throw ApiErrors.BadRequest($"{kind} in version {JsonNodes.Quote(version)} cannot be handled as a {type.Kind}: no kind \"{kind}\" is registered for version \"{expected}\"");
        }
        var problems = new List<string>();
        problems.AddRange(options.DuplicateFields.Select(f => $"duplicate field {JsonNodes.Quote(f)}"));
        if (type.IsCustom && type.SchemaFor(version) is { } schema)
        {
            var pruned = Schema.SchemaPruner.PruneResource(obj, schema);
            problems.AddRange(pruned.Select(p => $"unknown field {JsonNodes.Quote(p)}"));
            Schema.SchemaDefaulter.Apply(obj, schema);
        }
        else
        {
            type.Strategy.Default(obj);
        }
        if (problems.Count > 0)
        {
            switch (options.FieldValidation)
            {
                case FieldValidation.Strict:
                    throw ApiErrors.BadRequest($"{type.Kind} in version {JsonNodes.Quote(version)} cannot be handled as a {type.Kind}: strict decoding error: {string.Join(", ", problems)}");
                case FieldValidation.Warn:
                    options.Warnings.AddRange(problems);
                    break;
            }
        }
        options.DuplicateFields.Clear();
        obj["apiVersion"] = expected;
        obj["kind"] = type.Kind;
    }

    private static LabelSelector ParseLabelSelector(string? text)
    {
        try
        {
            return LabelSelector.Parse(text);
        }
        catch (FormatException ex)
        {
            throw ApiErrors.BadRequest(ex.Message);
        }
    }

    private static FieldSelector ParseFieldSelector(ResourceType type, string? text)
    {
        FieldSelector selector;
        try
        {
            selector = FieldSelector.Parse(text);
        }
        catch (FormatException ex)
        {
            throw ApiErrors.BadRequest(ex.Message);
        }
        foreach (var term in selector.Terms)
        {
            if (!type.Strategy.SupportsFieldLabel(type, term.Field))
            {
                throw ApiErrors.BadRequest("field label not supported: " + term.Field);
            }
        }
        return selector;
    }

    private static bool Matches(ResourceType type, JsonObject obj, LabelSelector labels, FieldSelector fields) =>
        (labels.IsEmpty || labels.Matches(ObjectMeta.LabelMap(obj))) &&
        (fields.IsEmpty || fields.Matches(FieldLabelsOf(type, obj)));

    private static IReadOnlyDictionary<string, string> FieldLabelsOf(ResourceType type, JsonObject obj)
    {
        var labels = type.Strategy.FieldLabels(obj);
        if (type.SelectableFields.Count == 0)
        {
            return labels;
        }
        var withCustom = new Dictionary<string, string>(labels, StringComparer.Ordinal);
        foreach (var field in type.SelectableFields)
        {
            var value = JsonNodes.At(obj, field.TrimStart('.').Split('.'));
            withCustom[field.TrimStart('.')] = JsonNodes.GetString(value) ?? (value is null ? "" : JsonNodes.FormatScalar(value));
        }
        return withCustom;
    }

    /// <summary>
    /// Writes an object (or removes it for DELETED) with the next resourceVersion, keeps the indexes and the history, and
    /// publishes the event. The object replaced is the one stored under the same key.
    /// </summary>
    private StoredObject Commit(ResourceType type, string? ns, JsonObject obj, string eventType)
    {
        _resourceVersion++;
        var copy = (JsonObject)obj.DeepClone();
        var meta = ObjectMeta.Meta(copy);
        var placed = meta.ContainsKey("resourceVersion");
        meta["resourceVersion"] = Rv(_resourceVersion);
        if (!placed)
        {
            // A new key goes last; put it where the output order wants it, so reads never need to re-sort.
            Serialization.Arrange(type, copy);
        }
        var name = ObjectMeta.Name(copy);
        var bucketNs = BucketNamespace(type, ObjectMeta.Namespace(copy) ?? ns);
        var bucket = Bucket(type);
        var previous = bucket.Find(bucketNs, name);
        var stored = new StoredObject(Key(type, bucketNs, name), copy, _json);
        if (eventType == WatchEvent.Deleted)
        {
            bucket.Remove(bucketNs, name);
        }
        else
        {
            bucket.Set(bucketNs, name, stored);
        }
        Index(type, previous?.Object, eventType == WatchEvent.Deleted ? null : copy);
        _history.Add(new HistoryEntry(type.StorageKey, eventType, stored.Key, _resourceVersion, stored.Json, previous?.Json));
        var e = new StoreEvent(type.StorageKey, eventType, copy, previous?.Object, _resourceVersion);
        foreach (var s in _subscribers)
        {
            s.Publish(e);
        }
        if (type.StorageKey == EventsStorageKey)
        {
            TrackEventLifetime(eventType, stored.Key, _resourceVersion);
        }
        ExpireEventsLocked();
        return stored;
    }

    internal StoreSubscription Subscribe(string? storageKey)
    {
        lock (_gate)
        {
            return SubscribeLocked(storageKey);
        }
    }

    private StoreSubscription SubscribeLocked(string? storageKey)
    {
        var sub = new StoreSubscription(storageKey, s =>
        {
            lock (_gate)
            {
                _subscribers.Remove(s);
            }
        });
        _subscribers.Add(sub);
        return sub;
    }

    /// <summary>Runs <paramref name="action"/> under the store lock: an atomic read-modify-write for in-process controllers.</summary>
    internal T Locked<T>(Func<T> action)
    {
        lock (_gate)
        {
            return action();
        }
    }

    /// <summary>Copies of every stored object (any resource) matching <paramref name="predicate"/>.</summary>
    internal List<(ResourceType Type, JsonObject Object)> FindAll(Func<ResourceType, JsonObject, bool> predicate)
    {
        lock (_gate)
        {
            var result = new List<(ResourceType, JsonObject)>();
            foreach (var type in Registry.Types)
            {
                if (!_data.TryGetValue(type.StorageKey, out var bucket))
                {
                    continue;
                }
                foreach (var stored in bucket.All())
                {
                    if (predicate(type, stored.Object))
                    {
                        result.Add((type, ToVersion(type, stored.Object, type.StorageVersion)));
                    }
                }
            }
            return result;
        }
    }
}
