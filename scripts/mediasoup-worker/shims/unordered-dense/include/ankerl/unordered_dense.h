// Stand-in for martinus/unordered_dense: the same names over the standard containers.
#pragma once
#include <functional>
#include <unordered_map>
#include <unordered_set>

namespace ankerl::unordered_dense
{
	template<typename T>
	using hash = std::hash<T>;

	template<
	  typename Key,
	  typename T,
	  typename Hash     = hash<Key>,
	  typename KeyEqual = std::equal_to<Key>,
	  typename Alloc    = std::allocator<std::pair<const Key, T>>>
	using map = std::unordered_map<Key, T, Hash, KeyEqual, Alloc>;

	template<
	  typename Key,
	  typename Hash     = hash<Key>,
	  typename KeyEqual = std::equal_to<Key>,
	  typename Alloc    = std::allocator<Key>>
	using set = std::unordered_set<Key, Hash, KeyEqual, Alloc>;
} // namespace ankerl::unordered_dense
