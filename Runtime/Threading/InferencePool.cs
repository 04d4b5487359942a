using System;
using System.Runtime.CompilerServices;
using System.Threading;

namespace MicroNet.Aot.Runtime;

/// <summary>
/// A fixed set of threads that run one image on several cores (a generated model's
/// <c>Run(input, output, pool)</c>) or a batch of images across them (<c>RunBatch</c>). The threads
/// are created once, in the constructor; an inference allocates nothing. Idle threads sleep (they
/// block on a monitor after a short spin of about 50 microseconds that catches back-to-back calls),
/// so an idle pool costs no CPU; during an inference the threads meet at barriers between layers,
/// where they spin briefly and then yield.
/// </summary>
/// <remarks>
/// <para>The calling thread is one of the pool's threads: a pool of N threads starts N - 1 workers.
/// A pool of one thread starts none and runs everything on the caller.</para>
/// <para>One pool runs one inference at a time. Calls from several threads at once are allowed and
/// are served one after the other (each waits for the pool). A call from inside an inference on the
/// same pool (a pool's thread calling <c>Run</c> with it again) would wait for itself and is refused
/// with <see cref="InvalidOperationException"/>.</para>
/// <para>Outputs do not depend on the number of threads: every value is computed by the same code in
/// the same order as the single-threaded <c>Run</c>, only on another core (docs/determinism.md).</para>
/// </remarks>
public sealed unsafe class InferencePool : IDisposable
{
    /// <summary>The most threads a pool may have.</summary>
    public const int MaxThreads = 64;

    // spin budgets, in Thread.SpinWait(1) iterations (a few nanoseconds each): a worker waiting for
    // the next job spins this long before it sleeps; a thread at a barrier spins this long before it
    // starts yielding its core (oversubscribed pools: the thread it waits for may need that core)
    private const int IdleSpins = 20_000;
    private const int BarrierSpins = 4_000;

    private readonly Thread[] _workers;
    private readonly object _gate = new();
    private readonly object _runLock = new();

    // the current job: its function and state, and a generation number the workers watch
    private delegate*<InferencePool, int, void*, void> _work;
    private void* _state;
    private long _generation;
    private int _sleepers;
    private int _pending;
    private volatile bool _disposed;
    private Exception? _fault;
    private volatile bool _faulted;

    // the barrier: how many threads have arrived, and the phase number they wait to see advance
    private int _arrived;
    private int _phase;

    [ThreadStatic] private static InferencePool? t_runningOn;
    private static int s_pools;
    private readonly int _id;
    private readonly bool _oversubscribed;

    /// <summary>The pool's number in this process: its worker threads are named MNPool{Id}-{1..Threads-1}.</summary>
    public int Id => _id;

    /// <summary>Creates a pool of <paramref name="threads"/> threads (the caller and threads - 1 workers).</summary>
    /// <param name="threads">How many threads an inference uses, 1 to <see cref="MaxThreads"/>; typically <see cref="Environment.ProcessorCount"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is less than 1 or more than <see cref="MaxThreads"/>.</exception>
    public InferencePool(int threads)
    {
        if (threads < 1 || threads > MaxThreads)
            throw new ArgumentOutOfRangeException(nameof(threads), threads, $"a pool has 1 to {MaxThreads} threads");
        Threads = threads;
        _oversubscribed = threads > Environment.ProcessorCount;
        _id = Interlocked.Increment(ref s_pools);
        _workers = new Thread[threads - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            int index = i + 1;
            _workers[i] = new Thread(() => WorkerLoop(index), maxStackSize: 1 << 20)
            {
                IsBackground = true,
                // short: Linux keeps 15 characters of a thread's name (top -H, /proc/PID/task/TID/comm)
                Name = "MNPool" + _id + "-" + index,
            };
            _workers[i].Start();
        }
    }

    /// <summary>How many threads an inference on this pool uses (the caller included).</summary>
    public int Threads { get; }

    /// <summary>
    /// Runs <paramref name="work"/>(pool, thread, state) on every thread of the pool at once (thread 0
    /// on the caller) and returns when all have finished. Called by generated code.
    /// </summary>
    /// <param name="work">The function each thread runs with its index, 0 to <see cref="Threads"/> - 1.</param>
    /// <param name="state">What the function reads (the caller's pinned spans), valid until this returns.</param>
    /// <exception cref="ObjectDisposedException">The pool was disposed.</exception>
    /// <exception cref="InvalidOperationException">Called from inside an inference on this pool.</exception>
    [System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    public void Execute(delegate*<InferencePool, int, void*, void> work, void* state)
    {
        if (work == null) throw new ArgumentNullException(nameof(work));
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (t_runningOn == this)
            throw new InvalidOperationException("this InferencePool is already running an inference on this thread: a pool cannot be used from inside its own inference");
        lock (_runLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_workers.Length == 0)
            {
                RunOne(work, 0, state);
            }
            else
            {
                _work = work;
                _state = state;
                _fault = null;
                _faulted = false;
                _arrived = 0; // a failed inference may have left threads counted at a barrier
                Volatile.Write(ref _pending, _workers.Length);
                Interlocked.Increment(ref _generation);
                if (Volatile.Read(ref _sleepers) > 0)
                    lock (_gate) Monitor.PulseAll(_gate);
                RunOne(work, 0, state);
                // wait for the workers (they are busy with the same inference: spin, then yield)
                var spinner = new SpinWait();
                while (Volatile.Read(ref _pending) != 0) spinner.SpinOnce(sleep1Threshold: -1);
                _work = null;
                _state = null;
            }
            if (_fault is Exception fault)
            {
                _fault = null;
                throw new AggregateException("an inference on the InferencePool failed", fault);
            }
        }
    }

    /// <summary>
    /// Waits until every thread of the pool has arrived here: the barrier between two layers of an
    /// inference. Called by generated code, by every thread the same number of times.
    /// </summary>
    [System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    public void Barrier()
    {
        if (Threads == 1) return;
        int phase = Volatile.Read(ref _phase);
        if (Interlocked.Increment(ref _arrived) == Threads)
        {
            // the last to arrive resets the count and releases the others
            Volatile.Write(ref _arrived, 0);
            Interlocked.Increment(ref _phase);
            return;
        }
        // more threads than cores: the thread this one waits for may need this core, so give it up
        // at once instead of spinning (measured: a pool of 4 on 2 cores ran M3 20x slower when spinning)
        int spinLimit = _oversubscribed ? 0 : BarrierSpins;
        for (int spins = 0; Volatile.Read(ref _phase) == phase; spins++)
        {
            if (_faulted) throw new OperationCanceledException("another thread of the inference failed");
            if (spins < spinLimit) Thread.SpinWait(1);
            else Thread.Yield();
        }
    }

    /// <summary>
    /// The part of <paramref name="units"/> work units (channels, groups, rows) that thread
    /// <paramref name="part"/> of <paramref name="parts"/> takes: [start, next part's start), in whole
    /// blocks of <paramref name="align"/> units (so a kernel that blocks its work sees the same
    /// blocks as on one thread). Called by generated code.
    /// </summary>
    /// <param name="units">The layer's work units.</param>
    /// <param name="align">The block size the boundaries fall on (1: anywhere).</param>
    /// <param name="part">The thread's index, 0 to <paramref name="parts"/>; <paramref name="parts"/> gives <paramref name="units"/>.</param>
    /// <param name="parts">The number of threads.</param>
    /// <returns>The first unit of the part.</returns>
    [System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int PartStart(int units, int align, int part, int parts)
    {
        int blocks = (units + align - 1) / align;
        return Math.Min(units, (int)((long)blocks * part / parts) * align);
    }

    private void RunOne(delegate*<InferencePool, int, void*, void> work, int thread, void* state)
    {
        var previous = t_runningOn;
        t_runningOn = this;
        try
        {
            work(this, thread, state);
        }
        catch (Exception e)
        {
            // the first failure is reported; the other threads leave their barriers
            if (!(e is OperationCanceledException && _faulted))
                Interlocked.CompareExchange(ref _fault, e, null);
            _faulted = true;
        }
        finally
        {
            t_runningOn = previous;
        }
    }

    private void WorkerLoop(int index)
    {
        long seen = 0;
        while (true)
        {
            // wait for the next generation: spin a little (a back-to-back call), then sleep
            for (int spins = 0; spins < IdleSpins && Volatile.Read(ref _generation) == seen && !_disposed; spins++) Thread.SpinWait(1);
            if (Volatile.Read(ref _generation) == seen && !_disposed)
            {
                lock (_gate)
                {
                    Interlocked.Increment(ref _sleepers);
                    while (Volatile.Read(ref _generation) == seen && !_disposed) Monitor.Wait(_gate);
                    Interlocked.Decrement(ref _sleepers);
                }
            }
            if (_disposed) return;
            seen = Volatile.Read(ref _generation);
            RunOne(_work, index, _state);
            Interlocked.Decrement(ref _pending);
        }
    }

    /// <summary>Stops the pool's threads (after the inference in progress, if any) and waits for them to end.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        lock (_runLock)
        {
            _disposed = true;
            lock (_gate) Monitor.PulseAll(_gate);
        }
        foreach (var t in _workers) t.Join();
    }
}
