// Every error text the server replies with, byte-for-byte Redis 7.0's, without
// the leading '-' and trailing CRLF (the reply writer adds them). The first
// word is the error code ("ERR", "WRONGTYPE", ...), as INFO errorstats counts it.
#pragma once

#include <string_view>

namespace basalt::errors {

inline constexpr std::string_view kSyntax = "ERR syntax error";
inline constexpr std::string_view kWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";
inline constexpr std::string_view kNotFloat = "ERR value is not a valid float";
inline constexpr std::string_view kOverflow = "ERR increment or decrement would overflow";
inline constexpr std::string_view kIncrNanInf = "ERR increment would produce NaN or Infinity";
inline constexpr std::string_view kNoSuchKey = "ERR no such key";
inline constexpr std::string_view kDbIndexOutOfRange = "ERR DB index is out of range";
inline constexpr std::string_view kInvalidDbIndex = "ERR invalid DB index";
inline constexpr std::string_view kSameObject =
    "ERR source and destination objects are the same";
inline constexpr std::string_view kStringTooLong = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
inline constexpr std::string_view kOffsetOutOfRange = "ERR offset is out of range";
inline constexpr std::string_view kOom =
    "OOM command not allowed when used memory > 'maxmemory'.";
inline constexpr std::string_view kNoAuth = "NOAUTH Authentication required.";
inline constexpr std::string_view kWrongPass =
    "WRONGPASS invalid username-password pair or user is disabled.";
inline constexpr std::string_view kAuthNoPassword =
    "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?";
inline constexpr std::string_view kMaxClients = "ERR max number of clients reached";
inline constexpr std::string_view kTimeoutNotFloat = "ERR timeout is not a float or out of range";
inline constexpr std::string_view kTimeoutNegative = "ERR timeout is negative";
inline constexpr std::string_view kNoSuchClient = "ERR No such client";
inline constexpr std::string_view kProtoUnbalancedQuotes =
    "ERR Protocol error: unbalanced quotes in request";
inline constexpr std::string_view kProtoInvalidMultibulk =
    "ERR Protocol error: invalid multibulk length";
inline constexpr std::string_view kProtoInvalidBulk = "ERR Protocol error: invalid bulk length";
inline constexpr std::string_view kProtoTooBigInline = "ERR Protocol error: too big inline request";
inline constexpr std::string_view kProtoTooBigMbulk =
    "ERR Protocol error: too big mbulk count string";
inline constexpr std::string_view kProtoTooBigBulk =
    "ERR Protocol error: too big bulk count string";
inline constexpr std::string_view kProtoUnauthMbulk =
    "ERR Protocol error: unauthenticated multibulk length";
inline constexpr std::string_view kProtoUnauthBulk =
    "ERR Protocol error: unauthenticated bulk length";

// String family (t_string.c).
inline constexpr std::string_view kDecrementOverflow = "ERR decrement would overflow";
inline constexpr std::string_view kInvalidExpireSet = "ERR invalid expire time in 'set' command";
inline constexpr std::string_view kInvalidExpireSetex =
    "ERR invalid expire time in 'setex' command";
inline constexpr std::string_view kInvalidExpirePsetex =
    "ERR invalid expire time in 'psetex' command";
inline constexpr std::string_view kInvalidExpireGetex =
    "ERR invalid expire time in 'getex' command";
inline constexpr std::string_view kLcsWrongType =
    "ERR The specified keys must contain string values";
inline constexpr std::string_view kLcsIdxAndLen =
    "ERR If you want both the length and indexes, please just use IDX.";
inline constexpr std::string_view kLcsStringTooLong = "ERR String too long for LCS";
inline constexpr std::string_view kLcsTableTooBig =
    "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len";
inline constexpr std::string_view kLcsAllocFailed =
    "ERR Insufficient memory, failed allocating transient memory for LCS";

// Keyspace family (db.c, expire.c, object.c).
inline constexpr std::string_view kInvalidCursor = "ERR invalid cursor";
inline constexpr std::string_view kIntOutOfRange =
    "ERR value is out of range, value must between -2147483648 and 2147483647";
inline constexpr std::string_view kInvalidFirstDbIndex = "ERR invalid first DB index";
inline constexpr std::string_view kInvalidSecondDbIndex = "ERR invalid second DB index";
inline constexpr std::string_view kExpireNxIncompatible =
    "ERR NX and XX, GT or LT options at the same time are not compatible";
inline constexpr std::string_view kExpireGtLtIncompatible =
    "ERR GT and LT options at the same time are not compatible";
inline constexpr std::string_view kLfuNotSelected =
    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
inline constexpr std::string_view kLfuSelected =
    "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

// Server commands (DEBUG, SHUTDOWN, COMMAND GETKEYS).
inline constexpr std::string_view kDebugNotAllowed =
    "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you "
    "can run it from a local connection, otherwise you need to set this option in the "
    "configuration file, and then restart the server.";
inline constexpr std::string_view kNoShutdownInProgress = "ERR No shutdown in progress.";
inline constexpr std::string_view kShutdownErrors = "ERR Errors trying to SHUTDOWN. Check logs.";
inline constexpr std::string_view kGetKeysInvalidCommand = "ERR Invalid command specified";
inline constexpr std::string_view kGetKeysNoKeys = "ERR The command has no key arguments";
inline constexpr std::string_view kGetKeysWrongArity =
    "ERR Invalid number of arguments specified for command";
inline constexpr std::string_view kGetKeysInvalidArgs =
    "ERR Invalid arguments specified for command";

// Set family (t_set.c) and SORT (sort.c).
inline constexpr std::string_view kMustBePositive = "ERR value is out of range, must be positive";
inline constexpr std::string_view kCountOutOfRangeLong =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
inline constexpr std::string_view kNumkeysNotPositive = "ERR numkeys should be greater than 0";
inline constexpr std::string_view kNumkeysTooMany =
    "ERR Number of keys can't be greater than number of args";
inline constexpr std::string_view kLimitNegative = "ERR LIMIT can't be negative";
inline constexpr std::string_view kSortScoreNotDouble =
    "ERR One or more scores can't be converted into double";

// Bitmaps (bitops.c).
inline constexpr std::string_view kBitOffset = "ERR bit offset is not an integer or out of range";
inline constexpr std::string_view kBitValue = "ERR bit is not an integer or out of range";
inline constexpr std::string_view kBitArgument = "ERR The bit argument must be 1 or 0.";
inline constexpr std::string_view kBitfieldType =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but "
    "i64 is.";
inline constexpr std::string_view kBitfieldOverflow = "ERR Invalid OVERFLOW type specified";
inline constexpr std::string_view kBitfieldRoGetOnly =
    "ERR BITFIELD_RO only supports the GET subcommand";
inline constexpr std::string_view kBitopNotOneKey =
    "ERR BITOP NOT must be called with a single source key.";

// HyperLogLog (hyperloglog.c).
inline constexpr std::string_view kHllNotValid =
    "WRONGTYPE Key is not a valid HyperLogLog string value.";
inline constexpr std::string_view kHllCorrupt = "INVALIDOBJ Corrupted HLL object detected";

// Hash family (t_hash.c).
inline constexpr std::string_view kHashValueNotInteger = "ERR hash value is not an integer";
inline constexpr std::string_view kHashValueNotFloat = "ERR hash value is not a float";
inline constexpr std::string_view kHashIncrNanOrInf = "ERR value is NaN or Infinity";
inline constexpr std::string_view kHashCountOutOfRange = "ERR value is out of range";
inline constexpr std::string_view kHashRandCountRange =
    "ERR value is out of range, value must between -9223372036854775807 and "
    "9223372036854775807";
// Sorted-set family (t_zset.c).
inline constexpr std::string_view kZAddXxNx =
    "ERR XX and NX options at the same time are not compatible";
inline constexpr std::string_view kZAddGtLtNx =
    "ERR GT, LT, and/or NX options at the same time are not compatible";
inline constexpr std::string_view kZAddIncrPairs =
    "ERR INCR option supports a single increment-element pair";
inline constexpr std::string_view kZScoreNan = "ERR resulting score is not a number (NaN)";
inline constexpr std::string_view kZMinMaxFloat = "ERR min or max is not a float";
inline constexpr std::string_view kZMinMaxLex = "ERR min or max not valid string range item";
inline constexpr std::string_view kZLimitRank =
    "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX";
inline constexpr std::string_view kZWithscoresLex =
    "ERR syntax error, WITHSCORES not supported in combination with BYLEX";
inline constexpr std::string_view kZNumKeysPositive = "ERR numkeys should be greater than 0";
inline constexpr std::string_view kZCountPositive = "ERR count should be greater than 0";
inline constexpr std::string_view kZMustBePositive = "ERR value is out of range, must be positive";
inline constexpr std::string_view kZOutOfRange = "ERR value is out of range";
inline constexpr std::string_view kZRandCountRange =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
inline constexpr std::string_view kZWeightNotFloat = "ERR weight value is not a float";
inline constexpr std::string_view kZLimitNegative = "ERR LIMIT can't be negative";

// List family (t_list.c).
inline constexpr std::string_view kListIndexOutOfRange = "ERR index out of range";
inline constexpr std::string_view kListCountPositive = "ERR count should be greater than 0";
inline constexpr std::string_view kLPosRankZero =
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use "
    "negative to start from the end of the list";
inline constexpr std::string_view kLPosCountNegative = "ERR COUNT can't be negative";
inline constexpr std::string_view kLPosMaxlenNegative = "ERR MAXLEN can't be negative";

}  // namespace basalt::errors
