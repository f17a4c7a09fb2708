// The one writer of RESP replies. Handlers call typed methods; the builder
// owns the RESP2/RESP3 differences (null, map, set, double, bool, push,
// verbatim), so no handler branches on the protocol version.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace basalt::protocol {

class ReplyBuilder {
 public:
  explicit ReplyBuilder(std::string* out) : out_(out) {}

  void set_resp3(bool v) { resp3_ = v; }
  bool resp3() const { return resp3_; }

  void SimpleString(std::string_view s);
  // An array of status lines: Redis's addReplyHelp for the HELP subcommands.
  void SimpleStrings(std::span<const std::string_view> lines);
  void Ok() { out_->append("+OK\r\n", 5); }
  // `msg` is an error text from the catalogue, code first ("ERR ...").
  // Newlines are replaced by spaces as Redis does. Counts the error.
  void Error(std::string_view msg);
  void Integer(int64_t v);
  void Bulk(std::string_view s);
  void Null();       // RESP2 "$-1", RESP3 "_"
  void NullArray();  // RESP2 "*-1", RESP3 "_"
  void ArrayHeader(size_t n);
  void MapHeader(size_t pairs);  // RESP2: an array of 2*pairs
  void SetHeader(size_t n);      // RESP2: an array
  void PushHeader(size_t n);     // RESP2: an array
  void Double(double d);         // RESP2: bulk "%.17g"; RESP3: ",..."
  void Bool(bool b);             // RESP2: ":1"/":0"
  void Verbatim(std::string_view text, std::string_view format = "txt");  // RESP2: bulk
  // Pre-encoded RESP, used for cached replies.
  void Raw(std::string_view resp) { out_->append(resp); }

  // Errors written since the last ResetErrorState(), for INFO and failed_calls.
  bool had_error() const { return had_error_; }
  std::string_view last_error_code() const { return last_error_code_; }
  void ResetErrorState() { had_error_ = false; }

  std::string* buffer() { return out_; }
  void set_buffer(std::string* out) { out_ = out; }

 private:
  void Header(char type, int64_t n);

  std::string* out_;
  bool resp3_ = false;
  bool had_error_ = false;
  std::string last_error_code_;
};

}  // namespace basalt::protocol
