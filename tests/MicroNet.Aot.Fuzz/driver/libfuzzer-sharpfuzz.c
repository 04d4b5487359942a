// The bridge between libFuzzer and a .NET harness that calls SharpFuzz's Fuzzer.LibFuzzer.Run.
//
// libFuzzer runs in this process; the harness runs in a child process (the .NET runtime cannot be
// linked into a libFuzzer binary). They share one System V segment: the first MAP_BYTES hold the
// coverage map that SharpFuzz's instrumentation writes (one byte per edge), the rest the input.
// Two pipes at fixed descriptors carry the protocol SharpFuzz's LibFuzzer runner speaks:
//   child -> parent (fd 199): an int32 once it is ready, then an int32 status per input (0 = ok)
//   parent -> child (fd 198): the int32 length of each input placed in the segment
// After each input the map is copied into libFuzzer's extra counters, so libFuzzer's corpus
// minimization and coverage feedback work on the .NET code's edges.
//
// Build: clang -O1 -fsanitize=fuzzer libfuzzer-sharpfuzz.c -o libfuzzer-sharpfuzz
// Run:   ./libfuzzer-sharpfuzz --target=/path/to/harness --target-arg=NAME [libFuzzer flags] CORPUS
// (libFuzzer ignores arguments that start with "--", so the two flags pass through it.)
// A harness that dies (the pipe closes) is reported as a crash; a harness that hangs is caught by
// libFuzzer's -timeout, since this process then waits on the status pipe.
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/shm.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAP_BYTES (1 << 16)   // SharpFuzz's coverage map size
#define INPUT_BYTES (1 << 22) // largest input (4 MiB); run libFuzzer with -max_len at or below it
#define CONTROL_FD 198
#define STATUS_FD 199

// libFuzzer treats this section as additional coverage counters. Not static, and "used": the
// compiler must keep an array that only libFuzzer reads.
__attribute__((used, section("__libfuzzer_extra_counters"))) uint8_t extra_counters[MAP_BYTES];

static int control_fd = -1, status_fd = -1, segment_id = -1;
static uint8_t *segment;

static void fail(const char *what)
{
    fprintf(stderr, "libfuzzer-sharpfuzz: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void remove_segment(void)
{
    if (segment_id >= 0) shmctl(segment_id, IPC_RMID, NULL);
}

// "--name=value" -> value, else NULL
static const char *flag_value(const char *arg, const char *name)
{
    size_t n = strlen(name);
    return strncmp(arg, name, n) == 0 && arg[n] == '=' ? arg + n + 1 : NULL;
}

// reads exactly 4 bytes; returns 0 when the child closed the pipe
static int read_int32(int fd, int32_t *value)
{
    size_t got = 0;
    while (got < sizeof *value)
    {
        ssize_t r = read(fd, (char *)value + got, sizeof *value - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) fail("reading the status pipe");
        if (r == 0) return 0;
        got += (size_t)r;
    }
    return 1;
}

static void write_int32(int fd, int32_t value)
{
    size_t put = 0;
    while (put < sizeof value)
    {
        ssize_t w = write(fd, (const char *)&value + put, sizeof value - put);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) fail("writing the control pipe");
        put += (size_t)w;
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *target = NULL, *target_arg = NULL;
    for (int i = 1; i < *argc; i++)
    {
        const char *v;
        if ((v = flag_value((*argv)[i], "--target"))) target = v;
        else if ((v = flag_value((*argv)[i], "--target-arg"))) target_arg = v;
    }
    if (!target)
    {
        fprintf(stderr, "libfuzzer-sharpfuzz: give the harness with --target=PATH (and its argument with --target-arg=NAME)\n");
        exit(1);
    }

    int control[2], status[2];
    if (pipe(control) || pipe(status)) fail("pipe");
    segment_id = shmget(IPC_PRIVATE, MAP_BYTES + INPUT_BYTES, IPC_CREAT | IPC_EXCL | 0600);
    if (segment_id < 0) fail("shmget");
    atexit(remove_segment);
    segment = shmat(segment_id, NULL, 0);
    if (segment == (void *)-1) fail("shmat");

    pid_t child = fork();
    if (child < 0) fail("fork");
    if (child == 0)
    {
        if (dup2(control[0], CONTROL_FD) < 0 || dup2(status[1], STATUS_FD) < 0) fail("dup2");
        close(control[0]); close(control[1]); close(status[0]); close(status[1]);
        char id[16];
        snprintf(id, sizeof id, "%d", segment_id);
        setenv("__LIBFUZZER_SHM_ID", id, 1);
        setenv("__LIBFUZZER_CONTROL_PIPE_ID", "198", 1);
        setenv("__LIBFUZZER_STATUS_PIPE_ID", "199", 1);
        execl(target, target, target_arg, (char *)NULL);
        fail("exec of the harness");
    }
    close(control[0]);
    close(status[1]);
    control_fd = control[1];
    status_fd = status[0];

    int32_t ready;
    if (!read_int32(status_fd, &ready))
    {
        fprintf(stderr, "libfuzzer-sharpfuzz: the harness exited before it was ready\n");
        exit(1);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > INPUT_BYTES)
    {
        fprintf(stderr, "libfuzzer-sharpfuzz: an input of %zu bytes is larger than %d: run with -max_len\n", size, INPUT_BYTES);
        exit(1);
    }
    memset(segment, 0, MAP_BYTES);
    memcpy(segment + MAP_BYTES, data, size);
    write_int32(control_fd, (int32_t)size);
    int32_t status;
    int alive = read_int32(status_fd, &status);
    memcpy(extra_counters, segment, MAP_BYTES);
    if (!alive)
    {
        fprintf(stderr, "libfuzzer-sharpfuzz: the harness died on this input (stack overflow, out of memory or a fatal runtime error)\n");
        __builtin_trap();
    }
    if (status != 0) __builtin_trap(); // the harness let an exception escape: it printed it
    return 0;
}
