# Every third-party dependency, found once. All come from Debian 12 packages
# (scripts/setup.sh installs them).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(OpenCV 4 REQUIRED COMPONENTS core imgproc imgcodecs videoio)
find_package(nlohmann_json 3 REQUIRED)
find_package(CLI11 REQUIRED CONFIG)
find_package(spdlog REQUIRED)
find_package(tinyxml2 REQUIRED)
find_package(GIF REQUIRED)
find_package(JPEG REQUIRED)

# OpenCV's targets are plain names; group the ones we use.
add_library(logoscope_opencv INTERFACE)
target_link_libraries(logoscope_opencv INTERFACE opencv_core opencv_imgproc opencv_imgcodecs)
target_include_directories(logoscope_opencv SYSTEM INTERFACE ${OpenCV_INCLUDE_DIRS})

# libtorch: Debian's CPU build by default; LOGOSCOPE_CUDA expects a CUDA libtorch on
# CMAKE_PREFIX_PATH (e.g. the one inside a pip PyTorch wheel).
find_package(Torch REQUIRED)
add_library(logoscope_torch INTERFACE)
target_link_libraries(logoscope_torch INTERFACE ${TORCH_LIBRARIES})
target_include_directories(logoscope_torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIRS})
target_compile_options(logoscope_torch INTERFACE ${TORCH_CXX_FLAGS})
if(LOGOSCOPE_CUDA)
  target_compile_definitions(logoscope_torch INTERFACE LOGOSCOPE_CUDA=1)
endif()
