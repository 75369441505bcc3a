# The safetensors reader (runtime) under the fuzzer.
cratec_fuzz_target(fuzz_safetensors ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_safetensors.c LIBS cratert
                   CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/corpus/safetensors)
