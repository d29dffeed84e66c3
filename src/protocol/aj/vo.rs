//! AJ-Captcha's `CaptchaVO`: the challenge as AJ's widgets read it (the IDaaS SDK answers
//! with the same object, as its document says).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;

use super::crypto::secret_key;
use crate::Captcha;
use crate::kind::Puzzle;

/// AJ's `CaptchaVO`, fields in AJ's order; unused ones are `null`.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CaptchaVo {
    pub(crate) captcha_id: Option<String>,
    pub(crate) project_code: Option<String>,
    /// Left out entirely where a protocol's VO has no such field (IDaaS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) captcha_type: Option<String>,
    pub(crate) captcha_original_path: Option<String>,
    pub(crate) captcha_font_type: Option<String>,
    pub(crate) captcha_font_size: Option<String>,
    pub(crate) secret_key: Option<String>,
    pub(crate) original_image_base64: Option<String>,
    pub(crate) point: Option<String>,
    pub(crate) jigsaw_image_base64: Option<String>,
    pub(crate) word_list: Option<Vec<String>>,
    pub(crate) point_list: Option<String>,
    pub(crate) point_json: Option<String>,
    pub(crate) token: Option<String>,
    pub(crate) result: bool,
    pub(crate) captcha_verification: Option<String>,
}

impl CaptchaVo {
    /// The VO of an issued challenge: its images as bare base64, its words, token and key.
    pub(crate) fn issued(c: crate::Challenge, captcha: &Captcha) -> Self {
        let b64 = |png: &[u8]| STANDARD.encode(png);
        let mut vo = CaptchaVo {
            secret_key: Some(secret_key(captcha, &c.id)),
            token: Some(c.id),
            ..CaptchaVo::default()
        };
        match c.puzzle {
            Puzzle::Slider { background, piece } => {
                vo.original_image_base64 = Some(b64(&background));
                vo.jigsaw_image_base64 = Some(b64(&piece));
            }
            Puzzle::ClickWord { image, words } => {
                vo.original_image_base64 = Some(b64(&image));
                vo.word_list = Some(words);
            }
            Puzzle::Image { png } => vo.original_image_base64 = Some(b64(&png)),
            // AJ's routes never issue a proof of work.
            Puzzle::Work { .. } | Puzzle::KeyWork { .. } => {}
        }
        vo
    }
}
