// fuzz/fuzz_support.hpp — what the fuzz targets share: the input written to a file, for readers
// that take a path, in a folder of the process's own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace logoscope::fuzz {

/// A temporary folder made once per process.
const std::string& process_folder();

/// Writes data into NAME inside a temporary folder made once per process; its path.
std::string write_input(const std::string& name, const std::uint8_t* data, std::size_t size);

}  // namespace logoscope::fuzz
