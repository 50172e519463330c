// Namespaces nearly every test file needs.
global using System.Text.Json.Nodes;
global using RayPS.Sandbox.Json;
global using RayPS.Sandbox.Store;
global using RayPS.Sandbox.Tests.Infrastructure;
