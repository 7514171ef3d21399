using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;
using RnnLm.Engine.IO;

namespace RnnLm.Browser.Tests;

/// <summary>
/// The service as it ships (its own process on a free loopback port, serving models/brown-default.rnnlm and the page
/// from src/RnnLm.Api/wwwroot) and Debian's headless Chromium driven through chromium-driver. Nothing is downloaded: a
/// machine without them fails here saying how to install them (.ci/run does).
/// </summary>
public sealed class Playground : IAsyncLifetime
{
    public const string ApiKey = "browser-key";

    /// <summary>
    /// A second ready model beside the shipped one: models/brown-elman.rnnlm and its card, copied into the data directory's
    /// models folder before the service starts, where the registry lists it as a trained model.
    /// </summary>
    public const string SecondModel = "brown-elman";

    /// <summary>Set to 1 to write a screenshot of each view to docs/screenshots/ (docs/playground.md shows them).</summary>
    public const string ScreenshotVariable = "RNNLM_SCREENSHOTS";

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly string _folder = Directory.CreateTempSubdirectory("rnnlm-browser-").FullName;
    private readonly StringBuilder _serviceLog = new();
    private Process? _service;
    private ChromeDriver? _browser;

    public HttpClient Http { get; private set; } = null!;

    private string DataDirectory => Path.Combine(_folder, "data");

    public ChromeDriver Browser => _browser ?? throw new InvalidOperationException("The browser did not start.");

    /// <summary>The repository's root: the folder holding RnnLm.Api.sln, found from the tests' folder upwards.</summary>
    public static string RepositoryRoot { get; } = Path.GetDirectoryName(RepoPaths.Find("RnnLm.Api.sln", AppContext.BaseDirectory)
        ?? throw new InvalidOperationException("RnnLm.Api.sln is not above the tests' folder."))!;

    public async Task InitializeAsync()
    {
        var (chromium, driver) = FindBrowser();
        var port = FreePort();
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        AddSecondModel();
        _service = StartService(port);
        await WaitUntilReadyAsync();

        var options = new ChromeOptions { BinaryLocation = chromium };
        // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1000,900",
            "--force-device-scale-factor=1", "--lang=en-US", "--no-first-run", "--disable-extensions", "--disable-background-networking");
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(driver)!, Path.GetFileName(driver));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        _browser = new ChromeDriver(service, options, Patience);
    }

    /// <summary>Opens the page at a view (#score, #next, ...) in a fresh state, at the given window width.</summary>
    public void Open(string view, int width = 1000, int height = 900)
    {
        Browser.Manage().Window.Size = new System.Drawing.Size(width, height);
        Browser.Navigate().GoToUrl(new Uri(Http.BaseAddress!, "/#" + view));
        Browser.Navigate().Refresh(); // a fragment change alone would keep the last test's page
        Until(d => d.FindElement(By.TagName("body")).GetDomAttribute("data-ready") == "true");
        Until(d => d.FindElement(By.Id(view)).Displayed);
    }

    /// <summary>Replaces what the box with this id holds by <paramref name="text"/>, typed as a person would.</summary>
    public IWebElement Type(string id, string text)
    {
        var box = Browser.FindElement(By.Id(id));
        box.Clear();
        if (text.Length > 0)
        {
            box.SendKeys(text);
        }

        return box;
    }

    /// <summary>Waits for a condition on the page: true, or a non-null value; fails with <paramref name="what"/> after a minute.</summary>
    public T Until<T>(Func<IWebDriver, T> condition, string? what = null)
    {
        var wait = new WebDriverWait(Browser, Patience) { Message = what ?? "the page did not get there" };
        wait.IgnoreExceptionTypes(typeof(NoSuchElementException), typeof(StaleElementReferenceException));
        return wait.Until(condition);
    }

    /// <summary>With RNNLM_SCREENSHOTS=1, saves the window as docs/screenshots/NAME.png.</summary>
    public void Screenshot(string name)
    {
        if (Environment.GetEnvironmentVariable(ScreenshotVariable) != "1")
        {
            return;
        }

        // The whole page, up to 1,800 px: the window grows to the document's height (a headless window is its viewport).
        var window = Browser.Manage().Window;
        var height = Convert.ToInt32(Browser.ExecuteScript("return document.documentElement.scrollHeight"), System.Globalization.CultureInfo.InvariantCulture);
        window.Size = new System.Drawing.Size(window.Size.Width, Math.Min(height + 120, 1800));
        var folder = Directory.CreateDirectory(Path.Combine(RepositoryRoot, "docs", "screenshots")).FullName;
        Browser.GetScreenshot().SaveAsFile(Path.Combine(folder, name + ".png"));
    }

    public async Task DisposeAsync()
    {
        _browser?.Quit();
        _browser?.Dispose();
        if (_service is { HasExited: false })
        {
            _service.Kill(entireProcessTree: true);
            await _service.WaitForExitAsync();
        }

        _service?.Dispose();
        Http?.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private static (string Chromium, string Driver) FindBrowser()
    {
        string? Which(params string[] names) => names.Select(n => Path.Combine("/usr/bin", n)).FirstOrDefault(File.Exists);
        var chromium = Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? Which("chromium", "chromium-browser");
        var driver = Environment.GetEnvironmentVariable("CHROMEDRIVER_PATH") ?? Which("chromedriver");
        if (chromium is null || driver is null)
        {
            throw new InvalidOperationException("The browser tests need Debian's Chromium and its driver: apt-get install -y chromium chromium-driver "
                + "(or set CHROMIUM_PATH and CHROMEDRIVER_PATH). .ci/run installs them.");
        }

        return (chromium, driver);
    }

    private void AddSecondModel()
    {
        var models = Directory.CreateDirectory(Path.Combine(DataDirectory, "models")).FullName;
        foreach (var extension in new[] { ".rnnlm", ".json" })
        {
            File.Copy(Path.Combine(RepositoryRoot, "models", SecondModel + extension), Path.Combine(models, SecondModel + extension));
        }
    }

    private Process StartService(int port)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "RnnLm.Api.dll"), "--contentRoot", Path.Combine(RepositoryRoot, "src", "RnnLm.Api")])
        {
            WorkingDirectory = _folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            Environment =
            {
                ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["RnnLm__DataDirectory"] = DataDirectory,
                ["RnnLm__ApiKey"] = ApiKey,
                ["Serilog__MinimumLevel__Default"] = "Warning",
            },
        };
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => Log(e.Data);
        process.ErrorDataReceived += (_, e) => Log(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private void Log(string? line)
    {
        lock (_serviceLog)
        {
            _serviceLog.AppendLine(line);
        }
    }

    private async Task WaitUntilReadyAsync()
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Patience && !_service!.HasExited)
        {
            try
            {
                if ((await Http.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }

        lock (_serviceLog)
        {
            throw new InvalidOperationException($"The service did not get ready (exited: {_service!.HasExited}):\n{_serviceLog}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

[CollectionDefinition(Name)]
public sealed class PlaygroundCollection : ICollectionFixture<Playground>
{
    public const string Name = "playground";
}

public static class Dom
{
    /// <summary>An attribute the element must have.</summary>
    public static string Attr(this IWebElement element, string name) =>
        element.GetDomAttribute(name) ?? throw new InvalidOperationException($"<{element.TagName}> has no {name} attribute.");
}
