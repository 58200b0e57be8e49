# Compiler flags shared by every logoscope target (applied through logoscope_warnings).
add_library(logoscope_warnings INTERFACE)
target_compile_options(logoscope_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow
                       -Wnon-virtual-dtor -Wcast-align -Wunused -Woverloaded-virtual)
if(LOGOSCOPE_FATAL_WARNINGS)
  target_compile_options(logoscope_warnings INTERFACE -Werror)
endif()

# Fuzzing: every target gets libFuzzer's coverage instrumentation and ASan + UBSan; the fuzz
# targets link libFuzzer itself (fuzz/CMakeLists.txt).
if(LOGOSCOPE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "LOGOSCOPE_FUZZ needs clang (CXX=clang++): libFuzzer is part of clang")
  endif()
  set(LOGOSCOPE_SANITIZE_ADDRESS ON)
  set(LOGOSCOPE_SANITIZE_UNDEFINED ON)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

set(LOGOSCOPE_SANITIZERS "")
if(LOGOSCOPE_SANITIZE_ADDRESS)
  list(APPEND LOGOSCOPE_SANITIZERS address)
endif()
if(LOGOSCOPE_SANITIZE_UNDEFINED)
  list(APPEND LOGOSCOPE_SANITIZERS undefined)
endif()
if(LOGOSCOPE_SANITIZERS)
  list(JOIN LOGOSCOPE_SANITIZERS "," _san)
  add_compile_options(-fsanitize=${_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_san})
endif()
