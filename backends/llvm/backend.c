/* The LLVM backend: loop IR -> LLVM IR (module.c and friends) -> the new
 * pass manager at the requested level -> object, assembly or textual IR,
 * all in process. Executables and libraries are linked by link_output. */
#include "llvm_gen.h"
#include "tool.h"

#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include <stdlib.h>
#include <string.h>

static void init_llvm_once(void) {
  static bool done;
  if (done) return;
  LLVMInitializeNativeTarget();
  LLVMInitializeNativeAsmPrinter();
  LLVMInitializeNativeAsmParser();
  done = true;
}

static LLVMTargetMachineRef create_target_machine(LlvmGen *g, const BackendOptions *o, Diag *d) {
  char *triple = LLVMGetDefaultTargetTriple();
  LLVMTargetRef target;
  char *err = NULL;
  LLVMTargetMachineRef tm = NULL;
  if (LLVMGetTargetFromTriple(triple, &target, &err)) {
    diag(d, DIAG_ERROR, "LLVM has no target for %s: %s", triple, err);
  } else {
    static const LLVMCodeGenOptLevel levels[] = {LLVMCodeGenLevelNone, LLVMCodeGenLevelLess,
                                                 LLVMCodeGenLevelDefault, LLVMCodeGenLevelAggressive};
    tm = LLVMCreateTargetMachine(target, triple, g->cpu, g->features, levels[o->opt_level], LLVMRelocPIC,
                                 LLVMCodeModelDefault);
    if (!tm) diag(d, DIAG_ERROR, "LLVM cannot generate code for CPU '%s' on %s", g->cpu, triple);
  }
  LLVMSetTarget(g->mod, triple);
  LLVMDisposeMessage(err);
  LLVMDisposeMessage(triple);
  return tm;
}

static bool optimize(LlvmGen *g, LLVMTargetMachineRef tm, int opt_level, Diag *d) {
  char pipeline[32];
  snprintf(pipeline, sizeof pipeline, "default<O%d>", opt_level);
  LLVMPassBuilderOptionsRef options = LLVMCreatePassBuilderOptions();
  LLVMPassBuilderOptionsSetLoopVectorization(options, opt_level >= 2);
  LLVMPassBuilderOptionsSetSLPVectorization(options, opt_level >= 2);
  LLVMErrorRef err = LLVMRunPasses(g->mod, pipeline, tm, options);
  LLVMDisposePassBuilderOptions(options);
  if (!err) return true;
  char *msg = LLVMGetErrorMessage(err);
  diag(d, DIAG_ERROR, "LLVM pass pipeline '%s' failed: %s", pipeline, msg);
  LLVMDisposeErrorMessage(msg);
  return false;
}

static bool write_output(LlvmGen *g, LLVMTargetMachineRef tm, const BackendOptions *o, Diag *d) {
  char *err = NULL;
  if (o->emit == EMIT_LLVM) {
    if (!LLVMPrintModuleToFile(g->mod, o->output, &err)) return true;
    diag(d, DIAG_ERROR, "cannot write %s: %s", o->output, err);
    LLVMDisposeMessage(err);
    return false;
  }
  if (o->emit == EMIT_ASM || o->emit == EMIT_OBJ) {
    LLVMCodeGenFileType type = o->emit == EMIT_ASM ? LLVMAssemblyFile : LLVMObjectFile;
    if (!LLVMTargetMachineEmitToFile(tm, g->mod, o->output, type, &err)) return true;
    diag(d, DIAG_ERROR, "cannot write %s: %s", o->output, err);
    LLVMDisposeMessage(err);
    return false;
  }
  TempDir tmp;
  if (!tempdir_make(&tmp, d)) return false;
  const char *object = tempdir_file(&tmp, "module.o");
  bool ok = !LLVMTargetMachineEmitToFile(tm, g->mod, object, LLVMObjectFile, &err);
  if (!ok) {
    diag(d, DIAG_ERROR, "cannot write %s: %s", object, err);
    LLVMDisposeMessage(err);
  }
  ok = ok && link_output(object, o, d);
  tempdir_remove(&tmp);
  return ok;
}

static bool has_feature(const char *features, const char *name) {
  size_t n = strlen(name);
  for (const char *p = strstr(features, name); p; p = strstr(p + 1, name))
    if ((p[n] == ',' || p[n] == '\0') && p > features && p[-1] == '+') return true;
  return false;
}

static bool llvm_emit(const LModule *m, const BackendOptions *o, Diag *d) {
  if (o->emit == EMIT_C) {
    diag(d, DIAG_ERROR, "the llvm backend does not emit C; use --backend c");
    return false;
  }
  if (o->opt_level < 0 || o->opt_level > 3) {
    diag(d, DIAG_ERROR, "optimization level %d is not one of 0..3", o->opt_level);
    return false;
  }
  if (!lmodule_verify(m, d)) return false;
  init_llvm_once();

  LlvmGen g = {0};
  bool native = strcmp(o->target->cpu, "native") == 0;
  char *host_cpu = native ? LLVMGetHostCPUName() : NULL;
  char *host_features = native ? LLVMGetHostCPUFeatures() : NULL;
  g.cpu = native ? host_cpu : o->target->cpu;
  g.features = native ? host_features : o->target->features;
  g.wide_vectors = o->target->vector_bits >= 512 || has_feature(g.features, "avx512f");

  g.ctx = LLVMContextCreate();
  g.mod = LLVMModuleCreateWithNameInContext(m->name, g.ctx);
  g.b = LLVMCreateBuilderInContext(g.ctx);
  g.f32 = LLVMFloatTypeInContext(g.ctx);
  g.i1 = LLVMInt1TypeInContext(g.ctx);
  g.i32 = LLVMInt32TypeInContext(g.ctx);
  g.i64 = LLVMInt64TypeInContext(g.ctx);
  g.ptr = LLVMPointerTypeInContext(g.ctx, 0);
  g.void_t = LLVMVoidTypeInContext(g.ctx);
  g.loop_md_kind = LLVMGetMDKindIDInContext(g.ctx, "llvm.loop", 9);

  LLVMTargetMachineRef tm = create_target_machine(&g, o, d);
  bool ok = tm != NULL;
  if (ok) {
    LLVMTargetDataRef layout = LLVMCreateTargetDataLayout(tm);
    LLVMSetModuleDataLayout(g.mod, layout);
    LLVMDisposeTargetData(layout);
  }
  ok = ok && llvm_translate_module(&g, m, d);
  ok = ok && optimize(&g, tm, o->opt_level, d);
  ok = ok && write_output(&g, tm, o, d);

  if (tm) LLVMDisposeTargetMachine(tm);
  LLVMDisposeBuilder(g.b);
  LLVMDisposeModule(g.mod);
  LLVMContextDispose(g.ctx);
  LLVMDisposeMessage(host_cpu);
  LLVMDisposeMessage(host_features);
  return ok;
}

const Backend llvm_backend = {"llvm", llvm_emit};
