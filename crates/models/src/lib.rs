//! Code Llama model catalogue and downloads into the library.
