// Embed libtorch's lib folder as rpath so binaries and tests run without LD_LIBRARY_PATH, and
// the path of the ONNX Runtime library that `make setup` fetched (loaded at run time by the
// onnx engines; $ORT_DYLIB_PATH overrides it).
fn main() {
    if let Ok(dir) = std::env::var("DEP_TCH_LIBTORCH_LIB") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let ort = std::path::Path::new(&manifest).join(".onnxruntime/lib/libonnxruntime.so");
    if let Ok(real) = ort.canonicalize() {
        println!("cargo:rustc-env=ACTORLENS_ORT_DYLIB={}", real.display());
    }
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=.onnxruntime/lib");
}
