using System.Text.Json;
using RnnLm.Engine.IO;

namespace RnnLm.Api.Models;

/// <summary>What a follower acts on: which model the trainer's last activation chose, and whether (or why not) it can be loaded.</summary>
public readonly record struct TrainerChoice(string Id, string? Problem);

/// <summary>
/// Serving: the active model, the cache of other loaded models, and the only way to activate one. Readers take
/// <see cref="Active"/> once per request and use that reference throughout; activating swaps the whole reference atomically,
/// so requests in flight finish on the model they started with and no lock is needed on the reading side. An activation is
/// made at start-up (<see cref="Start"/>), by POST /models/{id}/activate or a job's promotion (<see cref="Activate"/>, which
/// records the choice in <c>active-model.json</c> so it survives a restart), or by following a trainer (<see cref="FollowTrainer"/>).
/// Models other than the active one are loaded on first use by <c>model=ID</c> and kept in a small least-recently-used cache
/// of RnnLm:MaxLoadedModels.
/// </summary>
public sealed partial class ModelRegistry
{
    private readonly Lock _gate = new();
    private readonly LinkedList<LoadedModel> _loaded = new(); // most recently used first, the active model not among them
    private LoadedModel? _active;

    /// <summary>The model that answers requests without <c>model=ID</c>; null until start-up has loaded one.</summary>
    public LoadedModel? Active => Volatile.Read(ref _active);

    /// <summary>The active model.</summary>
    /// <exception cref="ModelUnavailableException">No model has been loaded (answered as 503).</exception>
    public LoadedModel Current => Active ?? throw new ModelUnavailableException("No model is loaded yet.");

    /// <summary>The model to answer a request with: the active one when <paramref name="id"/> is null, else that registered model.</summary>
    /// <exception cref="ModelNotFoundException">No model with that id is registered (answered as 400 on the <c>model</c> field).</exception>
    /// <exception cref="ModelLoadException">The model is registered but cannot be loaded (answered as 409).</exception>
    /// <exception cref="ModelUnavailableException">No model is active yet (answered as 503).</exception>
    public LoadedModel Resolve(string? id) =>
        id is null ? Current : Load(Find(id) ?? throw new ModelNotFoundException(id));

    /// <summary>Loads a registered model, from the cache when it is there.</summary>
    /// <exception cref="ModelLoadException">The file is not a valid model; the message says why and names no path.</exception>
    private LoadedModel Load(RegisteredModel registered)
    {
        ArgumentNullException.ThrowIfNull(registered);
        if (Active is { } active && active.Id == registered.Id)
        {
            return active;
        }

        // Checked even when a copy is loaded: what GET /models says about a model is what using it does.
        if (registered.Problem is { } problem)
        {
            throw Unloadable(registered, problem);
        }

        lock (_gate)
        {
            for (var node = _loaded.First; node is not null; node = node.Next)
            {
                if (node.Value.Id == registered.Id && node.Value.Path == registered.Path)
                {
                    _loaded.Remove(node);
                    _loaded.AddFirst(node);
                    return node.Value;
                }
            }
        }

        // Loading takes a while; do it outside the lock. Two first requests for the same model may both load it: harmless.
        LoadedModel loaded;
        try
        {
            loaded = LoadedModel.Load(registered.Path, registered.NGram);
        }
        catch (ModelLoadException e) when (e.ModelPath == registered.Path)
        {
            throw Unloadable(registered, Remedied(registered.Id, registered.Source, _checker.Failed(registered.Path, e)));
        }

        lock (_gate)
        {
            Evict(registered.Id);
            Cache(loaded);
        }

        return loaded;
    }

    /// <summary>Makes a registered model the active one and remembers the choice across restarts.</summary>
    /// <returns>The model that was active before.</returns>
    /// <exception cref="ModelLoadException">The file is not a valid model.</exception>
    /// <exception cref="IOException">The choice cannot be recorded in the data directory (nothing was changed).</exception>
    public LoadedModel? Activate(RegisteredModel registered)
    {
        var model = Load(registered);
        // Recorded first: when the data directory cannot be written, nothing changes and the caller hears why.
        System.IO.Directory.CreateDirectory(DataDirectory);
        AtomicFile.WriteAllText(System.IO.Path.Combine(DataDirectory, ActiveFileName), JsonSerializer.Serialize(new ActiveChoice(model.Id)));
        return Serve(model);
    }

    /// <summary>
    /// Loads the model to serve before the server listens: the one chosen before the last stop, or the shipped one when that
    /// cannot be loaded any more (the log, once, GET /health/ready and GET /models then say so until another model is activated).
    /// </summary>
    /// <exception cref="ModelLoadException">The shipped model cannot be loaded either; already logged in one line.</exception>
    public void Start()
    {
        if (Chosen() is { Model: { Source: ModelSource.Trained, Problem: null } remembered })
        {
            try
            {
                Announce(Load(remembered));
                return;
            }
            catch (ModelLoadException)
            {
                // The shipped model serves; the checker kept what the load found, and the warning below says it.
            }
        }

        try
        {
            Announce(LoadedModel.Load(_shippedPath, NGramOf(ModelSource.Shipped, _shippedPath)));
        }
        catch (ModelLoadException e)
        {
            LogCannotLoad(_logger, e.Message);
            throw;
        }

        var chosen = Chosen();
        if (chosen.WhyNotServing(Active?.Id) is { } reason)
        {
            LogChosenNotServed(_logger, chosen.Id, Current.Id, reason);
        }
    }

    /// <summary>
    /// On a read replica sharing its data directory with a trainer: when the trainer's choice (<c>active-model.json</c>), or
    /// what is wrong with it, differs from <paramref name="seen"/>, activates that model here too (without recording it: the
    /// file is the trainer's). A chosen model that cannot be loaded is logged once and left alone (the current model keeps
    /// serving, GET /health/ready says why) until its file changes. An activation made on the replica itself stands until
    /// the trainer's choice changes again. With <paramref name="seen"/> null, only looks: start-up already served the choice.
    /// </summary>
    /// <returns>The choice as it stands afterwards, to pass back on the next look.</returns>
    public TrainerChoice FollowTrainer(TrainerChoice? seen)
    {
        var chosen = Chosen();
        if (seen is null || Look(chosen) == seen || Active?.Id == chosen.Id)
        {
            return Look(chosen);
        }

        if (chosen.Model is { Problem: null } model)
        {
            try
            {
                Serve(Load(model));
                LogFollowed(_logger, chosen.Id);
                return Look(chosen);
            }
            catch (ModelLoadException)
            {
                chosen = chosen with { Model = Find(chosen.Id) }; // what the load found is now the model's problem
            }
        }

        LogCannotFollow(_logger, chosen.Id, chosen.Problem ?? "It cannot be loaded.");
        return Look(chosen);
    }

    private static TrainerChoice Look(ChosenModel chosen) => new(chosen.Id, chosen.Problem);

    private void Announce(LoadedModel model)
    {
        Serve(model);
        var shape = model.Model.Shape;
        LogLoaded(_logger, model.Id, model.Path, shape.VocabularySize, shape.Hidden, shape.Output, model.Sha256[..12]);
        if (model.Mixture is { } mixture)
        {
            LogNGram(_logger, model.Id, model.NGram!, mixture.NGram.Order, mixture.SharedWords, mixture.RnnOnlyWords, mixture.NGramOnlyWords);
        }
    }

    // The one place the active model changes. The one it replaces stays cached: a request that names it by id need not reload it.
    private LoadedModel? Serve(LoadedModel model)
    {
        var previous = Interlocked.Exchange(ref _active, model);
        lock (_gate)
        {
            Evict(model.Id);
            if (previous is not null && previous.Id != model.Id)
            {
                Cache(previous);
            }
        }

        return previous;
    }

    // Callers hold _gate.
    private void Cache(LoadedModel model)
    {
        _loaded.AddFirst(model);
        while (_loaded.Count > _maxLoaded)
        {
            _loaded.RemoveLast();
        }
    }

    private void Evict(string id)
    {
        for (var node = _loaded.First; node is not null;)
        {
            var next = node.Next;
            if (node.Value.Id == id)
            {
                _loaded.Remove(node);
            }

            node = next;
        }
    }

    [LoggerMessage(LogLevel.Information, "Serving model {ModelId} from {ModelPath}: {VocabularySize} words, hidden {Hidden}, {Output} output, sha256 {Sha256}…")]
    private static partial void LogLoaded(ILogger logger, string modelId, string modelPath, int vocabularySize, int hidden, Engine.Model.OutputKind output, string sha256);

    [LoggerMessage(LogLevel.Information, "Model {ModelId} carries the {Order}-gram model {NGram}: {SharedWords} words shared, {RnnOnlyWords} only the RNN's, {NGramOnlyWords} only the n-gram's")]
    private static partial void LogNGram(ILogger logger, string modelId, string nGram, int order, int sharedWords, int rnnOnlyWords, int nGramOnlyWords);

    [LoggerMessage(LogLevel.Warning, "The model chosen by the last activation (active-model.json), {ChosenId}, cannot serve; serving {ServingId} instead until a model is activated. {Reason}")]
    private static partial void LogChosenNotServed(ILogger logger, string chosenId, string servingId, string reason);

    [LoggerMessage(LogLevel.Critical, "Cannot start: {Reason}")]
    private static partial void LogCannotLoad(ILogger logger, string reason);

    [LoggerMessage(LogLevel.Information, "Activated {ModelId}, the model the trainer activated")]
    private static partial void LogFollowed(ILogger logger, string modelId);

    [LoggerMessage(LogLevel.Warning, "The trainer activated {ModelId}, but it cannot be loaded here; the current model keeps serving. {Reason}")]
    private static partial void LogCannotFollow(ILogger logger, string modelId, string reason);
}
