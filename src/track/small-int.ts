// Keeps integral values that V8 computed as doubles (differences of capture times, products)
// in int32 form, so that an object field receiving them stays a small integer: one double
// stored into a field turns that field into a boxed double in every object of the class.

/** `x` itself when it fits in int32 (as an int32 value), else `x` unchanged (still exact). */
export function asInt(x: number): number {
  const i = x | 0;
  return i === x ? i : x;
}
