using Prometheus;
using RnnLm.Api.Infrastructure;
using RnnLm.Api.Jobs;
using RnnLm.Api.Models;
using RnnLm.Api.Playground;
using RnnLm.Api.Prediction;
using RnnLm.Api.Rescoring;
using RnnLm.Api.Scoring;
using RnnLm.Api.Sessions;
using RnnLm.Api.Text;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddApiMetrics();          // event counters for /metrics, without Kestrel's per-request events
builder.Services.AddRnnLmOptions();        // the RnnLm section: model path, request limits, log format
builder.Services.AddApiLogging();          // Serilog: readable console, or compact JSON for containers
builder.Services.AddApiProblemDetails();   // every error is RFC 9457; binding failures name their field
builder.Services.AddKestrelRejections();   // requests Kestrel refuses before the pipeline (400, 414, 431, 505) get problem details too
builder.Services.AddApiJson();             // strict camelCase JSON: unknown fields and "5" for 5 are errors
builder.Services.AddApiDocumentation();    // Swagger UI at /swagger with an example for every endpoint
builder.Services.AddModelRegistry();       // the registry of models: loads the one to serve before the server listens (a bad file stops start-up), follows a trainer
builder.Services.AddSessions();            // streaming sessions: running states in memory, bounded in number and bytes, expiring when idle
builder.Services.AddJobs();                // background training jobs: SQLite records, a bounded queue, checkpoints, resume after a restart
builder.Services.AddApiHealthChecks();     // /health/live and /health/ready (ready once a model is active)

var app = builder.Build();

app.UseApiRequestLogging();                // outermost, so it logs the status the client really got
app.UseHttpMetrics();                      // request counts and latencies per endpoint, for /metrics
app.UseApiProblemDetails();                // exceptions and empty 4xx/5xx become problem details
app.UseRequestBodyLimit();                 // 413 above RnnLm:MaxBodyBytes
app.UseQueryParameterCheck();              // 400 for a query parameter the endpoint does not declare, or one given twice
app.MapApiDocumentation();
app.UsePlayground();                       // the page at / (wwwroot): score, next word, generate, models, train; links to /swagger
app.MapScoring();
app.MapPrediction();
app.MapRescoring();
app.MapSessions();
app.MapText();
app.MapModels();
app.MapJobs();
app.MapApiHealthChecks();
app.MapMetrics();

return app.RunOrExit();                    // exit code 1 when the model cannot be loaded

public partial class Program;
