//! Calling the shell: `window.__TAURI__.core.invoke` and `Channel`, looked up
//! at run time (the app runs only inside the Tauri webview).

use js_sys::{Array, Function, Object, Promise, Reflect};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

fn core() -> Result<JsValue, String> {
    let window = web_sys::window().ok_or("no window")?;
    let tauri = Reflect::get(&window, &"__TAURI__".into()).map_err(|_| "Tauri API missing")?;
    Reflect::get(&tauri, &"core".into()).map_err(|_| "Tauri core API missing".to_string())
}

fn to_js(value: &impl Serialize) -> Result<JsValue, String> {
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(|e| e.to_string())
}

/// A channel the shell streams messages into; `on_message` gets each one.
pub struct Channel {
    js: JsValue,
    _callback: Closure<dyn FnMut(JsValue)>,
}

impl Channel {
    pub fn new<T: DeserializeOwned + 'static>(mut on_message: impl FnMut(T) + 'static) -> Result<Self, String> {
        let ctor: Function = Reflect::get(&core()?, &"Channel".into()).map_err(|_| "no Channel")?.dyn_into().map_err(|_| "Channel is not a class")?;
        let js = Reflect::construct(&ctor, &Array::new()).map_err(|_| "cannot create a Channel")?;
        let callback = Closure::<dyn FnMut(JsValue)>::new(move |msg: JsValue| {
            if let Ok(value) = serde_wasm_bindgen::from_value::<T>(msg) {
                on_message(value);
            }
        });
        Reflect::set(&js, &"onmessage".into(), callback.as_ref()).map_err(|_| "cannot listen on the Channel")?;
        Ok(Self { js, _callback: callback })
    }
}

/// `invoke(cmd, args)`, with channels added as extra named arguments.
pub async fn invoke<T: DeserializeOwned>(cmd: &str, args: &impl Serialize, channels: &[(&str, &Channel)]) -> Result<T, String> {
    let core = core()?;
    let invoke: Function = Reflect::get(&core, &"invoke".into()).map_err(|_| "no invoke")?.dyn_into().map_err(|_| "invoke is not a function")?;
    let args = to_js(args)?;
    let args = if args.is_object() { args } else { Object::new().into() };
    for (name, channel) in channels {
        Reflect::set(&args, &(*name).into(), &channel.js).map_err(|_| "cannot pass a Channel")?;
    }
    let promise: Promise = invoke.call2(&JsValue::NULL, &cmd.into(), &args).map_err(js_text)?.dyn_into().map_err(|_| "invoke did not return a promise")?;
    let value = JsFuture::from(promise).await.map_err(js_text)?;
    serde_wasm_bindgen::from_value(value).map_err(|e| e.to_string())
}

fn js_text(v: JsValue) -> String {
    v.as_string().unwrap_or_else(|| format!("{v:?}"))
}

/// `navigator.clipboard.writeText(text)`.
pub fn copy_text(text: &str) {
    let Some(window) = web_sys::window() else { return };
    let Ok(clipboard) = Reflect::get(&window.navigator(), &"clipboard".into()) else { return };
    if let Ok(write) = Reflect::get(&clipboard, &"writeText".into()).and_then(|f| f.dyn_into::<Function>().map_err(JsValue::from)) {
        let _ = write.call1(&clipboard, &text.into());
    }
}
