//! `retail-backend --listen ADDR`: serves the retail store until stopped.

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!(
            "usage: retail-backend [--listen 127.0.0.1:8090]\n\nServes the tau2 retail store (GET /state, POST /reset, the 16 tools)."
        );
        return Ok(());
    }
    let listen = args
        .iter()
        .position(|a| a == "--listen")
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
        .unwrap_or("127.0.0.1:8090");
    let addr = listen.parse().map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("--listen {listen}: {e}"),
        )
    })?;
    let backend = retail_demo::start(addr).await?;
    eprintln!("retail backend listening on {}", backend.url());
    tokio::signal::ctrl_c().await?;
    Ok(())
}
