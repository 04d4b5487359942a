/*
 * A QEMU TCG plugin that counts the guest instructions a program executes and writes the total
 * to stderr at exit ("insn_count: N"), or to the file named by the plugin argument out=FILE.
 * Counting is per translated block: each block adds its instruction count when it runs (an inline
 * add, no callback), so the count is exact for what ran and the same run to run.
 * With profile=FILE it also writes, per translated block, "GUEST_ADDRESS INSTRUCTIONS_EXECUTED"
 * (hex, decimal): tools/arm64/profile.sh maps them to the binary's functions.
 * With layers=FILE (lines "GUEST_ADDRESS NAME", hex address of a function's first instruction)
 * and layers_out=FILE it attributes every instruction to the listed function entered last and
 * writes "NAME INSTRUCTIONS" per function: the generated model's layer methods do not nest, so
 * that is the layer whose work (its own code and the Runtime kernels it calls) is running.
 *
 * The few declarations of QEMU's documented plugin API (include/qemu/qemu-plugin.h, API version 1
 * for QEMU 7.2) are written here, so the plugin builds without QEMU's headers: Debian's qemu-user
 * ships none. Built by tools/qemu/build.sh; used by tools/arm64/count-instructions.sh.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
typedef struct qemu_info_t qemu_info_t;

enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };

typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };

extern size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
extern uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
extern void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op, void *ptr, uint64_t imm);
extern void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
extern void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, qemu_plugin_vcpu_udata_cb_t cb, enum qemu_plugin_cb_flags flags, void *userdata);
extern void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/* One counter for all guest threads: the inline add is not atomic, so instructions of threads that
 * run at the same moment may be lost; the programs counted run their inferences on one thread. */
static uint64_t insn_count;
static char out_path[4096];
static char profile_path[4096];

/* profile=FILE: one record per translated block; its counter gets the block's instruction count
 * each time it runs (records are never freed: the inline add writes to them until exit) */
struct block { uint64_t vaddr; uint64_t executed; };
static struct block **blocks;
static size_t block_count, block_capacity;

/* layers=FILE: the functions instructions are attributed to; the one entered last is current */
struct layer { uint64_t vaddr; uint64_t executed; char name[256]; };
static struct layer *layers;
static size_t layer_count;
static char layers_out_path[4096];
static struct layer *current_layer;
static uint64_t current_since; /* insn_count when current_layer was entered */

static void on_layer_entry(unsigned int vcpu_index, void *userdata)
{
    (void)vcpu_index;
    if (current_layer) current_layer->executed += insn_count - current_since;
    current_layer = userdata;
    current_since = insn_count;
}

static void read_layers(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) { fprintf(stderr, "insn_count: cannot read layers file %s\n", path); return; }
    size_t capacity = 0;
    char line[512];
    while (fgets(line, sizeof line, f))
    {
        unsigned long long address;
        char name[256];
        if (sscanf(line, "%llx %255s", &address, name) != 2) continue;
        if (layer_count == capacity)
        {
            capacity = capacity ? capacity * 2 : 256;
            struct layer *grown = realloc(layers, capacity * sizeof *grown);
            if (!grown) break;
            layers = grown;
        }
        layers[layer_count].vaddr = address;
        layers[layer_count].executed = 0;
        strcpy(layers[layer_count].name, name);
        layer_count++;
    }
    fclose(f);
}

static void on_tb_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &insn_count, n);
    for (size_t i = 0; i < layer_count; i++)
        if (layers[i].vaddr == qemu_plugin_tb_vaddr(tb))
            qemu_plugin_register_vcpu_tb_exec_cb(tb, on_layer_entry, QEMU_PLUGIN_CB_NO_REGS, &layers[i]);
    if (!profile_path[0]) return;
    if (block_count == block_capacity)
    {
        size_t capacity = block_capacity ? block_capacity * 2 : 4096;
        struct block **grown = realloc(blocks, capacity * sizeof *grown);
        if (!grown) return;
        blocks = grown;
        block_capacity = capacity;
    }
    struct block *b = calloc(1, sizeof *b);
    if (!b) return;
    b->vaddr = qemu_plugin_tb_vaddr(tb);
    blocks[block_count++] = b;
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &b->executed, n);
}

static void on_plugin_exit(qemu_plugin_id_t id, void *userdata)
{
    (void)id; (void)userdata;
    FILE *f = out_path[0] ? fopen(out_path, "w") : NULL;
    fprintf(f ? f : stderr, "insn_count: %llu\n", (unsigned long long)insn_count);
    if (f) fclose(f);
    if (current_layer) current_layer->executed += insn_count - current_since;
    FILE *l = layers_out_path[0] ? fopen(layers_out_path, "w") : NULL;
    if (l)
    {
        for (size_t i = 0; i < layer_count; i++) fprintf(l, "%s %llu\n", layers[i].name, (unsigned long long)layers[i].executed);
        fclose(l);
    }
    FILE *p = profile_path[0] ? fopen(profile_path, "w") : NULL;
    if (p)
    {
        for (size_t i = 0; i < block_count; i++)
            if (blocks[i]->executed) fprintf(p, "%llx %llu\n", (unsigned long long)blocks[i]->vaddr, (unsigned long long)blocks[i]->executed);
        fclose(p);
    }
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++)
    {
        if (strncmp(argv[i], "out=", 4) == 0) strncpy(out_path, argv[i] + 4, sizeof out_path - 1);
        else if (strncmp(argv[i], "profile=", 8) == 0) strncpy(profile_path, argv[i] + 8, sizeof profile_path - 1);
        else if (strncmp(argv[i], "layers=", 7) == 0) read_layers(argv[i] + 7);
        else if (strncmp(argv[i], "layers_out=", 11) == 0) strncpy(layers_out_path, argv[i] + 11, sizeof layers_out_path - 1);
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb_translate);
    qemu_plugin_register_atexit_cb(id, on_plugin_exit, NULL);
    return 0;
}
