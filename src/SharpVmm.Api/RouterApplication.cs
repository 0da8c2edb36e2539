using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace SharpVmm.Api;

/// <summary>
/// What Kestrel runs for each request: a plain <see cref="DefaultHttpContext"/> handed to the router. This takes the
/// place of ASP.NET Core's hosting layer (no host, no middleware pipeline, no dependency injection), which the API's
/// one request delegate does not need and which costs start-up time.
/// </summary>
internal sealed class RouterApplication(RequestDelegate handler) : IHttpApplication<HttpContext>
{
    public HttpContext CreateContext(IFeatureCollection contextFeatures) => new DefaultHttpContext(contextFeatures);

    public Task ProcessRequestAsync(HttpContext context) => handler(context);

    public void DisposeContext(HttpContext context, Exception? exception)
    {
    }
}
