# The AddressSanitizer + UndefinedBehaviorSanitizer build of the unit tests.
#
#   cmake -S . -B build-asan -G Ninja -DMASKFLEET_SANITIZE=ON -DMASKFLEET_BUILD_BENCHMARKS=OFF
#   cmake --build build-asan --target maskfleet_sanitized_tests
#   ctest --test-dir build-asan -L sanitize
#
# Everything in such a build folder is compiled with -fsanitize=address,undefined, and
# any report ends the test (-fno-sanitize-recover=all), so a report is a failed test.
# Only the tests named in MASKFLEET_SANITIZED_TESTS are registered with CTest and built
# by the target maskfleet_sanitized_tests: the unit tests of the code that reads
# outside bytes or does arithmetic on them, and the pure components. The tests that
# start processes, servers of other programs, moto or a browser stay in the ordinary
# build only: they cost minutes and mostly exercise code that is not ours. A test
# left out here is still defined (EXCLUDE_FROM_ALL), so that a folder's
# CMakeLists.txt can set properties on it in both builds.

option(MASKFLEET_SANITIZE
  "Build with AddressSanitizer and UndefinedBehaviorSanitizer; only the tests in MASKFLEET_SANITIZED_TESTS"
  OFF)

set(MASKFLEET_SANITIZED_TESTS
  common_error_test common_clock_test common_bounded_executor_test
  config_source_test config_shared_config_test
  image_probe_test image_codec_test
  net_ip_address_test
  auth_token_test auth_validation_test auth_rate_limiter_test
  scaler_policy_test scaler_decision_test
  sim_scenario_test
  objectstore_object_key_test)

if(MASKFLEET_SANITIZE)
  # -O1, as the sanitizers advise: reports as exact as at -O0 and a faster build than -O2.
  set(MASKFLEET_SANITIZER_FLAGS -O1 -fsanitize=address,undefined -fno-omit-frame-pointer
      -fno-sanitize-recover=all)
  add_compile_options(${MASKFLEET_SANITIZER_FLAGS})
  add_link_options(${MASKFLEET_SANITIZER_FLAGS})
  # Built by scripts/test.sh; the other tests are not built at all.
  add_custom_target(maskfleet_sanitized_tests)
endif()

# The libFuzzer build of tests/fuzz (scripts/fuzz.sh), with clang:
#
#   CXX=clang++-19 cmake -S . -B build-fuzz -G Ninja -DMASKFLEET_FUZZ=ON \
#     -DMASKFLEET_BUILD_TESTS=OFF -DMASKFLEET_BUILD_BENCHMARKS=OFF
#   cmake --build build-fuzz --target maskfleet_fuzzers
#
# Every file is compiled with libFuzzer's coverage instrumentation and both
# sanitizers, so that what the targets call is explored and checked, not only the
# targets themselves.
option(MASKFLEET_FUZZ "Build the libFuzzer targets of tests/fuzz (needs clang)" OFF)
if(MASKFLEET_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "MASKFLEET_FUZZ needs clang (libFuzzer): CXX=clang++-19 cmake ...")
  endif()
  # Without clang's vptr check: it needs the type information of every polymorphic
  # class the code calls into, and Debian's SOCI library does not export that of its
  # statement classes (the http_form target, which links the account stores, would not
  # link). The g++ sanitizer build keeps the check.
  set(MASKFLEET_FUZZ_FLAGS -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize=vptr
      -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_compile_options(${MASKFLEET_FUZZ_FLAGS})
  add_link_options(-fsanitize=address,undefined)
  add_custom_target(maskfleet_fuzzers)
endif()

# True in `out` if `test_name` is built and run in this build folder.
function(maskfleet_test_wanted test_name out)
  if(MASKFLEET_SANITIZE AND NOT test_name IN_LIST MASKFLEET_SANITIZED_TESTS)
    set(${out} FALSE PARENT_SCOPE)
  else()
    set(${out} TRUE PARENT_SCOPE)
  endif()
endfunction()
