// Sorted-set algebra (Redis 7.0's zunionInterDiffGenericCommand): ZUNION,
// ZINTER, ZDIFF, their STORE forms and ZINTERCARD. Inputs may be sorted sets
// or plain sets (whose members score 1).
#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "commands/zset_internal.h"
#include "common/errors.h"
#include "common/strutil.h"
#include "db/entry.h"
#include "db/set.h"
#include "db/zset.h"
#include "server/command.h"
#include "server/db_access.h"

namespace basalt::server::zset_internal {
namespace {

using db::Entry;
using protocol::ReplyBuilder;

enum class SetOp { kUnion, kInter, kDiff };
enum class Aggregate { kSum, kMin, kMax };

struct Source {
  const db::ZSet* zset = nullptr;
  const db::Set* set = nullptr;
  double weight = 1.0;

  size_t size() const { return zset ? zset->size() : (set ? set->size() : 0); }
  bool Find(std::string_view m, double* score) const {
    if (zset) return zset->Score(m, score);
    if (set && set->Contains(m)) {
      *score = 1.0;
      return true;
    }
    return false;
  }
  template <class Fn>
  void ForEach(Fn&& fn) const {
    if (zset) {
      zset->ForEach(fn);
    } else if (set) {
      set->ForEach([&](std::string_view m) { fn(m, 1.0); });
    }
  }
};

// zunionInterAggregate: a NaN sum (inf + -inf) becomes 0, as in Redis.
void AggregateInto(double* target, double val, Aggregate agg) {
  switch (agg) {
    case Aggregate::kSum:
      *target += val;
      if (std::isnan(*target)) *target = 0.0;
      break;
    case Aggregate::kMin:
      *target = val < *target ? val : *target;
      break;
    case Aggregate::kMax:
      *target = val > *target ? val : *target;
      break;
  }
}

using Result = std::vector<std::pair<std::string, double>>;

void SetOpGeneric(const ArgList& args, CommandContext& ctx, size_t numkeys_idx, bool store,
                  SetOp op, bool cardinality_only) {
  ReplyBuilder* rb = ctx.rb;
  int64_t nk;
  if (!ParseInt64(args[numkeys_idx], &nk)) {
    rb->Error(errors::kNotInteger);
    return;
  }
  if (nk < 1) {
    rb->Error("ERR at least 1 input key is needed for '" + ctx.spec->full_name() + "' command");
    return;
  }
  if (static_cast<uint64_t>(nk) > args.size() - numkeys_idx - 1) {
    rb->Error(errors::kSyntax);
    return;
  }
  size_t setnum = static_cast<size_t>(nk);
  std::vector<Source> src(setnum);
  size_t j = numkeys_idx + 1;
  for (size_t i = 0; i < setnum; ++i, ++j) {
    Entry* e = LookupRead(ctx, args[j]);  // sources count as reads, as in Redis
    if (!e) continue;
    if (e->type == db::ObjType::kZSet) {
      src[i].zset = e->As<db::ZSet>();
    } else if (e->type == db::ObjType::kSet) {
      src[i].set = e->As<db::Set>();
    } else {
      rb->Error(errors::kWrongType);
      return;
    }
  }
  Aggregate agg = Aggregate::kSum;
  bool withscores = false;
  int64_t limit = 0;
  while (j < args.size()) {
    size_t remaining = args.size() - j;
    std::string_view a = args[j];
    if (op != SetOp::kDiff && !cardinality_only && remaining >= setnum + 1 &&
        EqualsIgnoreCase(a, "weights")) {
      ++j;
      for (size_t i = 0; i < setnum; ++i, ++j) {
        if (!ParseDouble(args[j], &src[i].weight)) {
          rb->Error(errors::kZWeightNotFloat);
          return;
        }
      }
    } else if (op != SetOp::kDiff && !cardinality_only && remaining >= 2 &&
               EqualsIgnoreCase(a, "aggregate")) {
      std::string_view v = args[j + 1];
      if (EqualsIgnoreCase(v, "sum")) {
        agg = Aggregate::kSum;
      } else if (EqualsIgnoreCase(v, "min")) {
        agg = Aggregate::kMin;
      } else if (EqualsIgnoreCase(v, "max")) {
        agg = Aggregate::kMax;
      } else {
        rb->Error(errors::kSyntax);
        return;
      }
      j += 2;
    } else if (!store && !cardinality_only && EqualsIgnoreCase(a, "withscores")) {
      withscores = true;
      ++j;
    } else if (cardinality_only && remaining >= 2 && EqualsIgnoreCase(a, "limit")) {
      if (!ParseInt64(args[j + 1], &limit) || limit < 0) {
        rb->Error(errors::kZLimitNegative);
        return;
      }
      j += 2;
    } else {
      rb->Error(errors::kSyntax);
      return;
    }
  }

  // Redis orders union/intersection inputs by size (a stable sort): the order
  // decides the order of floating-point sums, so it is kept exactly.
  if (op != SetOp::kDiff) {
    std::stable_sort(src.begin(), src.end(),
                     [](const Source& a, const Source& b) { return a.size() < b.size(); });
  }

  Result result;
  int64_t cardinality = 0;
  if (op == SetOp::kInter) {
    if (src[0].size() > 0) {
      src[0].ForEach([&](std::string_view m, double s0) {
        if (cardinality_only && limit && cardinality >= limit) return;
        double score = src[0].weight * s0;
        if (std::isnan(score)) score = 0;
        for (size_t i = 1; i < setnum; ++i) {
          double v;
          if (!src[i].Find(m, &v)) return;
          AggregateInto(&score, v * src[i].weight, agg);
        }
        if (cardinality_only) {
          ++cardinality;
        } else {
          result.emplace_back(std::string(m), score);
        }
      });
    }
  } else if (op == SetOp::kUnion) {
    std::unordered_map<std::string, double> acc;
    for (const Source& s : src) {
      s.ForEach([&](std::string_view m, double sc) {
        double score = s.weight * sc;
        if (std::isnan(score)) score = 0;
        auto [it, fresh] = acc.try_emplace(std::string(m), score);
        if (!fresh) AggregateInto(&it->second, score, agg);
      });
    }
    result.reserve(acc.size());
    for (auto& [m, s] : acc) result.emplace_back(m, s);
  } else {
    src[0].ForEach([&](std::string_view m, double s0) {
      double dummy;
      for (size_t i = 1; i < setnum; ++i) {
        if (src[i].Find(m, &dummy)) return;
      }
      result.emplace_back(std::string(m), s0);
    });
  }

  if (cardinality_only) {
    rb->Integer(cardinality);
    return;
  }
  std::sort(result.begin(), result.end(), [](const auto& a, const auto& b) {
    return a.second < b.second || (a.second == b.second && a.first < b.first);
  });
  if (store) {
    std::string_view dst = args[1];
    if (result.empty()) {
      rb->Integer(0);
      DeleteResult(ctx, dst);
      return;
    }
    size_t maxlen = 0;
    for (const auto& r : result) maxlen = std::max(maxlen, r.first.size());
    db::ZSetLimits lim = Limits(ctx);
    db::ZSet* z = db::ZSet::Create(result.size(), maxlen, lim);
    for (const auto& r : result) z->Set(r.first, r.second, lim);
    rb->Integer(static_cast<int64_t>(result.size()));
    StoreResult(ctx, dst, z);
    return;
  }
  EmitHeader(rb, result.size(), withscores);
  for (const auto& r : result) EmitElement(rb, r.first, r.second, withscores);
}

}  // namespace

void CmdZUnion(const ArgList& args, CommandContext& ctx) {
  SetOpGeneric(args, ctx, 1, false, SetOp::kUnion, false);
}
void CmdZInter(const ArgList& args, CommandContext& ctx) {
  SetOpGeneric(args, ctx, 1, false, SetOp::kInter, false);
}
void CmdZDiff(const ArgList& args, CommandContext& ctx) {
  SetOpGeneric(args, ctx, 1, false, SetOp::kDiff, false);
}
void CmdZInterCard(const ArgList& args, CommandContext& ctx) {
  SetOpGeneric(args, ctx, 1, false, SetOp::kInter, true);
}
void CmdZUnionStore(const ArgList& args, CommandContext& ctx) {
  SetOpGeneric(args, ctx, 2, true, SetOp::kUnion, false);
}
void CmdZInterStore(const ArgList& args, CommandContext& ctx) {
  SetOpGeneric(args, ctx, 2, true, SetOp::kInter, false);
}
void CmdZDiffStore(const ArgList& args, CommandContext& ctx) {
  SetOpGeneric(args, ctx, 2, true, SetOp::kDiff, false);
}

}  // namespace basalt::server::zset_internal
