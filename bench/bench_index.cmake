# SPDX-License-Identifier: Apache-2.0
# The index benchmark (bench/bench_index.c, RESULTS.md "Index"): Vigil's
# PDQ index against a brute-force scan and, where Debian's libfaiss-dev is
# installed (FAISS_INCLUDE / FAISS_LIB, found in CMakeLists.txt), FAISS
# IndexBinaryMultiHash through a C++ shim.  Without FAISS the program is
# built with the two other contenders only.
add_executable(bench_index bench/bench_index.c)
target_link_libraries(bench_index PRIVATE vigil_lib m)

if(FAISS_INCLUDE AND FAISS_LIB)
  enable_language(CXX)
  find_package(OpenMP COMPONENTS CXX)
  find_package(BLAS)
  find_package(LAPACK)
  if(OpenMP_CXX_FOUND AND BLAS_FOUND AND LAPACK_FOUND)
    add_library(bench_index_faiss OBJECT bench/bench_index_faiss.cpp)
    # the C warning set of the tree does not apply to C++
    set_property(TARGET bench_index_faiss PROPERTY COMPILE_OPTIONS
        -Wall -Wextra -Wshadow $<$<BOOL:${VIGIL_WERROR}>:-Werror>)
    set_property(TARGET bench_index_faiss PROPERTY CXX_STANDARD 17)
    target_include_directories(bench_index_faiss SYSTEM PRIVATE
        ${FAISS_INCLUDE})
    target_link_libraries(bench_index_faiss PRIVATE OpenMP::OpenMP_CXX)
    target_sources(bench_index PRIVATE $<TARGET_OBJECTS:bench_index_faiss>)
    target_compile_definitions(bench_index PRIVATE BENCH_HAVE_FAISS=1)
    # libfaiss.a is static: its own dependencies (OpenMP, LAPACK, BLAS)
    # follow it on the link line, and the C++ runtime comes with CXX.
    target_link_libraries(bench_index PRIVATE ${FAISS_LIB}
        OpenMP::OpenMP_CXX ${LAPACK_LIBRARIES} ${BLAS_LIBRARIES})
    set_property(TARGET bench_index PROPERTY LINKER_LANGUAGE CXX)
  else()
    message(STATUS "bench_index: FAISS found but OpenMP/BLAS/LAPACK not; "
        "building without the FAISS baseline")
  endif()
endif()
