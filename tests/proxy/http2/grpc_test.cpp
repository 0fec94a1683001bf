// gRPC's view of a request and of the proxy's answers (proxy/http2/grpc.h).
#include <catch2/catch.hpp>

#include <string>

#include "proxy/http2/grpc.h"

using namespace jwt_sidecar::proxy::grpc;

TEST_CASE("gRPC content types", "[http2][grpc]") {
  CHECK(is_grpc_content_type("application/grpc"));
  CHECK(is_grpc_content_type("application/grpc+proto"));
  CHECK(is_grpc_content_type("Application/GRPC;charset=utf-8"));
  CHECK_FALSE(is_grpc_content_type("application/grpc-web"));
  CHECK_FALSE(is_grpc_content_type("application/grpcx"));
  CHECK_FALSE(is_grpc_content_type("application/json"));
  CHECK_FALSE(is_grpc_content_type(""));
}

TEST_CASE("gRPC method paths are /package.Service/Method", "[http2][grpc]") {
  CHECK(is_method_path("/test.Echo/Unary"));
  CHECK(is_method_path("/grpc.health.v1.Health/Check"));
  CHECK_FALSE(is_method_path("/test.Echo/Unary/extra"));
  CHECK_FALSE(is_method_path("/test.Echo/"));
  CHECK_FALSE(is_method_path("//Unary"));
  CHECK_FALSE(is_method_path("/test.Echo"));
  CHECK_FALSE(is_method_path("/test.Echo/Unary?x=1"));
  CHECK_FALSE(is_method_path("/test.Echo/Un%61ry"));
  CHECK_FALSE(is_method_path("test.Echo/Unary"));
}

TEST_CASE("HTTP statuses map to the gRPC codes DESIGN.md names", "[http2][grpc]") {
  CHECK(status_for_http(401) == 16);
  CHECK(status_for_http(403) == 7);
  CHECK(status_for_http(404) == 12);
  CHECK(status_for_http(502) == 14);
  CHECK(status_for_http(503) == 14);
  CHECK(status_for_http(504) == 4);
  CHECK(status_for_http(413) == 8);
  CHECK(status_for_http(431) == 8);
  CHECK(status_for_http(400) == 13);
}

TEST_CASE("grpc-message is percent-encoded", "[http2][grpc]") {
  CHECK(percent_encode_message("token_expired") == "token_expired");
  CHECK(percent_encode_message("50% off") == "50%25 off");
  CHECK(percent_encode_message("a\nb") == "a%0Ab");
  CHECK(percent_encode_message("caf\xc3\xa9") == "caf%C3%A9");
}

TEST_CASE("The message limit follows length prefixes across arbitrary splits", "[http2][grpc]") {
  auto message = [](std::uint32_t length) {
    std::string m(5, '\0');
    m[1] = static_cast<char>(length >> 24);
    m[2] = static_cast<char>(length >> 16);
    m[3] = static_cast<char>(length >> 8);
    m[4] = static_cast<char>(length);
    return m + std::string(length, 'x');
  };
  const auto stream = message(100) + message(1000) + message(0) + message(1000);
  for (std::size_t split : {1u, 3u, 7u, 4096u}) {
    MessageLimit ok(1000);
    bool all = true;
    for (std::size_t i = 0; i < stream.size(); i += split) all = all && ok.feed(std::string_view(stream).substr(i, split));
    CHECK(all);
  }
  MessageLimit tight(999);
  bool all = true;
  for (std::size_t i = 0; i < stream.size(); i += 3) all = all && tight.feed(std::string_view(stream).substr(i, 3));
  CHECK_FALSE(all);
  // A prefix alone announces the size: refused before the bytes arrive.
  MessageLimit early(10);
  CHECK_FALSE(early.feed(message(11).substr(0, 5)));
}
