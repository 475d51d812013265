#include "stderr_capture.h"

#include <cstdio>

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>

namespace webgrad {
namespace {
int saved_fd = -1;
FILE* capture = nullptr;
}  // namespace

bool CaptureStderr() {
  if (capture != nullptr) return false;
  fflush(stderr);
  capture = tmpfile();
  if (capture == nullptr) return false;
  saved_fd = dup(2);
  if (saved_fd < 0 || dup2(fileno(capture), 2) < 0) {
    if (saved_fd >= 0) close(saved_fd);
    fclose(capture);
    capture = nullptr;
    return false;
  }
  return true;
}

std::string ReleaseStderr() {
  if (capture == nullptr) return "";
  fflush(stderr);
  dup2(saved_fd, 2);
  close(saved_fd);
  std::string text;
  rewind(capture);
  char chunk[4096];
  for (size_t n; (n = fread(chunk, 1, sizeof chunk, capture)) > 0;) text.append(chunk, n);
  fclose(capture);
  capture = nullptr;
  return text;
}

}  // namespace webgrad
#else
namespace webgrad {
bool CaptureStderr() { return false; }
std::string ReleaseStderr() { return ""; }
}  // namespace webgrad
#endif
