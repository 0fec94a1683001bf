# One interface target that every project target links, so flags live in one place.
add_library(jwt_sidecar_flags INTERFACE)
target_compile_options(jwt_sidecar_flags INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wcast-qual -Wformat=2 -Wimplicit-fallthrough
  -Wnon-virtual-dtor
  $<$<BOOL:${JWT_SIDECAR_WERROR}>:-Werror>
  $<$<NOT:$<CONFIG:Debug>>:-D_FORTIFY_SOURCE=2>
  -fstack-protector-strong)

if(JWT_SIDECAR_SANITIZE)
  target_compile_options(jwt_sidecar_flags INTERFACE
    -fsanitize=${JWT_SIDECAR_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(jwt_sidecar_flags INTERFACE -fsanitize=${JWT_SIDECAR_SANITIZE})
  # clang 14 cannot compile C++20 coroutines under -fsanitize=function ("Cannot represent a
  # difference across sections"; llvm/llvm-project#49689): the rest of UBSan stays on.
  if(JWT_SIDECAR_SANITIZE MATCHES "undefined" AND CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    target_compile_options(jwt_sidecar_flags INTERFACE -fno-sanitize=function)
  endif()
endif()
