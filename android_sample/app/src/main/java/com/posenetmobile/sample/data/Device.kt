package com.posenetmobile.sample.data

/** Where the interpreter runs; the CPU path is the one the Python harness validates. */
enum class Device(val label: String) {
    CPU("CPU (XNNPACK)"),
    GPU("GPU"),
}
