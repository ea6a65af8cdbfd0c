//! Reading the one file a multipart form sends.

use axum::extract::Multipart;
use axum::extract::multipart::MultipartRejection;

/// The file in form field `field`: its name and bytes, or the message to
/// show the user when there is none or it could not be received.
pub async fn single_file(
    multipart: Result<Multipart, MultipartRejection>,
    field: &str,
) -> Result<(String, Vec<u8>), String> {
    let Ok(mut multipart) = multipart else {
        return Err("Select a file to upload".into());
    };
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Ok(Some(part)) = multipart.next_field().await {
        if part.name() == Some(field) {
            let name = part.file_name().unwrap_or_default().to_string();
            match part.bytes().await {
                Ok(bytes) => file = Some((name, bytes.to_vec())),
                Err(_) => return Err("The file could not be received. Try again".into()),
            }
        }
    }
    match file {
        Some((name, bytes)) if name.is_empty() && bytes.is_empty() => {
            Err("Select a file to upload".into())
        }
        None => Err("Select a file to upload".into()),
        Some((_, bytes)) if bytes.is_empty() => Err("The selected file is empty".into()),
        Some(found) => Ok(found),
    }
}
