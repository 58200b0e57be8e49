# Every third-party dependency, found once. All come from Debian 12 packages
# (scripts/setup.sh installs them).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(OpenCV 4 REQUIRED COMPONENTS core imgproc imgcodecs videoio img_hash)
find_package(nlohmann_json 3 REQUIRED)
find_package(CLI11 REQUIRED CONFIG)
find_package(spdlog REQUIRED)
find_package(tinyxml2 REQUIRED)
find_package(GIF REQUIRED)
find_package(JPEG REQUIRED)
# SHA-256 / HMAC: pretrained weights' checksums, SigV4 in the server.
find_package(OpenSSL REQUIRED COMPONENTS Crypto)
# S3: libcurl signs requests with its built-in AWS SigV4 (src/storage).
find_package(CURL REQUIRED)
# cpp-httplib 0.11 ships as a compiled library without a CMake config.
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET GLOBAL cpp-httplib)

# librsvg (SVG brand marks) and cairo + FreeType (wordmarks) for src/marks. Imported targets'
# include folders are SYSTEM, so glib's headers do not trip -Werror.
pkg_check_modules(LOGOSCOPE_RSVG REQUIRED IMPORTED_TARGET librsvg-2.0 cairo cairo-ft freetype2)
add_library(logoscope_rsvg INTERFACE)
target_link_libraries(logoscope_rsvg INTERFACE PkgConfig::LOGOSCOPE_RSVG)

# OpenCV's targets are plain names; group the ones we use.
add_library(logoscope_opencv INTERFACE)
target_link_libraries(logoscope_opencv INTERFACE opencv_core opencv_imgproc opencv_imgcodecs)
target_include_directories(logoscope_opencv SYSTEM INTERFACE ${OpenCV_INCLUDE_DIRS})

# libtorch: Debian's CPU build by default; LOGOSCOPE_CUDA expects a CUDA libtorch on
# CMAKE_PREFIX_PATH (e.g. the one inside a pip PyTorch wheel).
find_package(Torch REQUIRED)
# libtorch runs its parallel regions on OpenMP; infer/intra_op_threads sets the count per thread.
find_package(OpenMP REQUIRED)
add_library(logoscope_torch INTERFACE)
target_link_libraries(logoscope_torch INTERFACE ${TORCH_LIBRARIES})
target_include_directories(logoscope_torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIRS})
target_compile_options(logoscope_torch INTERFACE ${TORCH_CXX_FLAGS})
if(LOGOSCOPE_CUDA)
  target_compile_definitions(logoscope_torch INTERFACE LOGOSCOPE_CUDA=1)
endif()
