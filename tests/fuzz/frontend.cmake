# The .crate frontend, seeded with the examples and a few valid and broken models.
cratec_fuzz_target(fuzz_frontend ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_frontend.c LIBS cratec_frontend
                   CORPUS ${CMAKE_SOURCE_DIR}/examples ${CMAKE_CURRENT_SOURCE_DIR}/corpus/frontend)
