/**
 * The JMH benchmarks: fiberswitch through JNA and through the FFM accelerator, and what users would
 * pick instead (JNA callbacks, continuations, virtual and platform thread handoffs), each as ratios
 * against a baseline measured in the same run. See {@code docs/performance.md}.
 */
package org.fiberswitch.bench;
