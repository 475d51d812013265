// Captures what the process writes to stderr (file descriptor 2, native code included) into a
// temporary file until released: the WebGPU backend drops Dawn's known start-up warnings this way and
// passes everything else on. POSIX only; elsewhere capture is a no-op and release returns "".
#pragma once

#include <string>

namespace webgrad {

/** Starts capturing; false if already capturing or the redirection failed (stderr is untouched then). */
bool CaptureStderr();
/** Restores stderr and returns what was written to it since CaptureStderr(). */
std::string ReleaseStderr();

}  // namespace webgrad
