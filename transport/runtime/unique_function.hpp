#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace tr::transport {

template <class Signature>
class unique_function;

/// A move-only callable (std::move_only_function is C++23). Callables of up to
/// `inline_size` bytes that move without throwing are stored in place, so posting a closure
/// that captures a few pointers, a handle or a shared_ptr does not allocate; larger ones go to
/// the heap.
template <class R, class... Args>
class unique_function<R(Args...)> {
 public:
  /// Bytes a callable may take to be stored without a heap allocation.
  static constexpr std::size_t inline_size = 48;

  /// An empty function.
  unique_function() noexcept = default;
  unique_function(std::nullptr_t) noexcept {}

  /// Wraps `fn` (moved in).
  template <class F, class D = std::decay_t<F>,
            class = std::enable_if_t<!std::is_same_v<D, unique_function> &&
                                     std::is_invocable_r_v<R, D&, Args...>>>
  unique_function(F&& fn) {  // NOLINT: implicit like std::function
    if constexpr (stored_inline<D>) {
      ::new (static_cast<void*>(storage_)) D(std::forward<F>(fn));
      ops_ = &inline_ops<D>;
    } else {
      *reinterpret_cast<D**>(storage_) = new D(std::forward<F>(fn));
      ops_ = &heap_ops<D>;
    }
  }

  unique_function(unique_function&& other) noexcept { take(other); }

  unique_function& operator=(unique_function&& other) noexcept {
    if (this != &other) {
      reset();
      take(other);
    }
    return *this;
  }

  unique_function(const unique_function&) = delete;
  unique_function& operator=(const unique_function&) = delete;

  ~unique_function() { reset(); }

  /// True when it holds a callable.
  explicit operator bool() const noexcept { return ops_ != nullptr; }

  /// Calls the callable; it must not be empty.
  R operator()(Args... args) { return ops_->invoke(storage_, std::forward<Args>(args)...); }

  /// Destroys the callable, leaving this empty.
  void reset() noexcept {
    if (ops_) {
      ops_->destroy(storage_);
      ops_ = nullptr;
    }
  }

 private:
  struct operations {
    R (*invoke)(void* storage, Args&&... args);
    void (*move)(void* from, void* to) noexcept;  // move-constructs `to`, destroys `from`
    void (*destroy)(void* storage) noexcept;
  };

  template <class D>
  static constexpr bool stored_inline = sizeof(D) <= inline_size &&
                                        alignof(D) <= alignof(std::max_align_t) &&
                                        std::is_nothrow_move_constructible_v<D>;

  template <class D>
  static constexpr operations inline_ops = {
      [](void* storage, Args&&... args) -> R {
        return (*std::launder(static_cast<D*>(storage)))(std::forward<Args>(args)...);
      },
      [](void* from, void* to) noexcept {
        D* source = std::launder(static_cast<D*>(from));
        ::new (to) D(std::move(*source));
        source->~D();
      },
      [](void* storage) noexcept { std::launder(static_cast<D*>(storage))->~D(); },
  };

  template <class D>
  static constexpr operations heap_ops = {
      [](void* storage, Args&&... args) -> R {
        return (**static_cast<D**>(storage))(std::forward<Args>(args)...);
      },
      [](void* from, void* to) noexcept { *static_cast<D**>(to) = *static_cast<D**>(from); },
      [](void* storage) noexcept { delete *static_cast<D**>(storage); },
  };

  void take(unique_function& other) noexcept {
    if (other.ops_) {
      other.ops_->move(other.storage_, storage_);
      ops_ = other.ops_;
      other.ops_ = nullptr;
    }
  }

  alignas(std::max_align_t) unsigned char storage_[inline_size];
  const operations* ops_ = nullptr;
};

}  // namespace tr::transport
