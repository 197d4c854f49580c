# One helper for each kind of target, so that a component's CMakeLists.txt is a few
# declarative lines (after Abseil's absl_cc_library / absl_cc_test).
#
#   maskfleet_library(NAME detect SRCS a.cc b.cc DEPS maskfleet_image opencv_dnn)
#     -> static library maskfleet_detect, headers included as "maskfleet/detect/x.h",
#        seeing only its own and its DEPS' headers
#   maskfleet_test(NAME anchors_test SRCS anchors_test.cc DEPS maskfleet_detect)
#     -> GoogleTest binary registered with CTest under the label of its folder

set(MASKFLEET_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
    -Wcast-align -Wunused -Woverloaded-virtual -Wimplicit-fallthrough
    # Designated initialisers that leave defaulted fields out are the point of them.
    -Wno-missing-field-initializers)

function(maskfleet_apply_warnings target)
  target_compile_options(${target} PRIVATE ${MASKFLEET_WARNINGS})
  if(MASKFLEET_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# A library sees its own headers and those of its DEPS (and theirs), nothing else: its
# public headers (HDRS; by default every header in the folders of its SRCS) are linked
# into build/include/<target>/maskfleet/..., and that folder is its include path. An
# include that runs against the declared arrows therefore fails to build. (All of src/
# on every include path, as before, let any file include anything.)
function(maskfleet_library)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;HDRS;DEPS" ${ARGN})
  set(target maskfleet_${ARG_NAME})
  add_library(${target} STATIC ${ARG_SRCS})
  if(NOT ARG_HDRS)
    set(folders "")
    foreach(src IN LISTS ARG_SRCS)
      get_filename_component(folder ${src} DIRECTORY)
      list(APPEND folders "${CMAKE_CURRENT_SOURCE_DIR}/${folder}")
    endforeach()
    list(REMOVE_DUPLICATES folders)
    foreach(folder IN LISTS folders)
      file(GLOB headers CONFIGURE_DEPENDS "${folder}/*.h")
      list(APPEND ARG_HDRS ${headers})
    endforeach()
  endif()
  set(stage ${CMAKE_BINARY_DIR}/include/${target})
  file(REMOVE_RECURSE ${stage})
  foreach(header IN LISTS ARG_HDRS)
    get_filename_component(header ${header} ABSOLUTE)
    file(RELATIVE_PATH relative ${PROJECT_SOURCE_DIR}/src ${header})
    get_filename_component(relative_folder ${relative} DIRECTORY)
    file(MAKE_DIRECTORY ${stage}/${relative_folder})
    file(CREATE_LINK ${header} ${stage}/${relative} SYMBOLIC)
  endforeach()
  target_include_directories(${target} PUBLIC ${stage})
  target_link_libraries(${target} PUBLIC ${ARG_DEPS})
  maskfleet_apply_warnings(${target})
endfunction()

#   maskfleet_test(NAME s3_test SRCS ... DEPS ... ONE_PROCESS LABELS aws)
#     -> the whole binary is one CTest test (for suites that share an expensive
#        fixture, such as a moto server, across their tests); a binary that exits
#        with status 77 (its fixture cannot run here, and it said why) is reported as
#        skipped, not passed
function(maskfleet_test)
  cmake_parse_arguments(ARG "ONE_PROCESS" "NAME" "SRCS;DEPS;LABELS" ${ARGN})
  if(NOT MASKFLEET_BUILD_TESTS)
    return()
  endif()
  # In the sanitizer build (MaskfleetSanitize.cmake) a test not on its list is defined
  # but neither built nor registered.
  maskfleet_test_wanted(${ARG_NAME} wanted)
  if(wanted)
    add_executable(${ARG_NAME} ${ARG_SRCS})
  else()
    add_executable(${ARG_NAME} EXCLUDE_FROM_ALL ${ARG_SRCS})
  endif()
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  # A test sees its own folder's test helpers besides its DEPS' headers.
  target_include_directories(${ARG_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  maskfleet_apply_warnings(${ARG_NAME})
  if(NOT wanted)
    return()
  endif()
  get_filename_component(folder ${CMAKE_CURRENT_SOURCE_DIR} NAME)
  if(MASKFLEET_SANITIZE)
    add_dependencies(maskfleet_sanitized_tests ${ARG_NAME})
    # One label: gtest_discover_tests passes a list of labels on as separate words,
    # which set_tests_properties then reads as other properties.
    set(folder sanitize)
    set(ARG_LABELS "")
  endif()
  if(ARG_ONE_PROCESS)
    add_test(NAME ${ARG_NAME} COMMAND ${ARG_NAME})
    set_tests_properties(${ARG_NAME} PROPERTIES LABELS "${folder};${ARG_LABELS}"
      ENVIRONMENT "MASKFLEET_SHARED_DIR=${MASKFLEET_SHARED_DIR}"
      SKIP_RETURN_CODE 77)
    return()
  endif()
  gtest_discover_tests(${ARG_NAME}
    PROPERTIES LABELS "${folder};${ARG_LABELS}"
               ENVIRONMENT "MASKFLEET_SHARED_DIR=${MASKFLEET_SHARED_DIR}"
    DISCOVERY_TIMEOUT 30)
endfunction()
